package slackapp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// systemic opens detractor cases and resolves each, as its owner, as a
// systemic issue of rootCause.
func (h *slackHarness) systemic(rootCause string, ins ...models.ResponseInput) []int64 {
	h.t.Helper()
	var ids []int64
	for _, r := range h.ingest(ins...) {
		c := h.caseOf(r.CaseID)
		_, err := h.store.Act(h.ctx, h.pol, h.clock.Now(), c.ID, c.Owner,
			models.Op{Kind: models.OpResolve, RootCause: rootCause, Note: "explained", Systemic: true})
		if err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// item reads an improvement item.
func (h *slackHarness) item(id int64) models.ImprovementSummary {
	h.t.Helper()
	it, err := h.store.Improvement(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return it
}

// backlogButtons lists the buttons of a backlog message as
// "action_id=value".
func backlogButtons(t *testing.T, blocksJSON string) []string {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(blocksJSON), &blocks); err != nil {
		t.Fatalf("blocks %q: %v", blocksJSON, err)
	}
	var out []string
	add := func(el any) {
		if m, ok := el.(map[string]any); ok && m["type"] == "button" {
			out = append(out, fmt.Sprintf("%s=%s", m["action_id"], m["value"]))
		}
	}
	for _, b := range blocks {
		if els, ok := b["elements"].([]any); ok {
			for _, el := range els {
				add(el)
			}
		}
		add(b["accessory"])
	}
	return out
}

// hookCalls returns what was posted to a response_url.
func (h *slackHarness) hookCalls(hook string) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range h.fake.Calls(slackfake.MethodResponseURL) {
		if c.Params.Get("hook") == hook {
			out = append(out, c)
		}
	}
	return out
}

func TestSlackBacklog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		no := false
		process := h.systemic("process",
			models.ResponseInput{ExternalID: "p1", Score: 1, Comment: "queue", Customer: models.Customer{Name: "Kadri K."}},
			models.ResponseInput{ExternalID: "p2", Score: 2, Comment: "queue", Customer: models.Customer{Name: "Peeter P."}},
			models.ResponseInput{ExternalID: "p3", Score: 3, Comment: "queue", Customer: models.Customer{Name: "Anna A."}},
			models.ResponseInput{ExternalID: "p4", Score: 3, Comment: "do not call", Customer: models.Customer{Name: "Private", ContactOK: &no}},
		)
		h.systemic("product", models.ResponseInput{ExternalID: "q1", Score: 0, Comment: "the app crashes"})
		items, err := s.Improvements(h.ctx, models.ImprovementFilter{})
		if err != nil || len(items) != 2 || items[0].Linked != 4 || items[1].Linked != 1 {
			t.Fatalf("backlog %+v %v", items, err)
		}
		big, small := items[0].ID, items[1].ID
		if c := h.caseOf(process[0]); c.ImprovementID == nil || *c.ImprovementID != big {
			t.Fatalf("case %d not linked to item %d", process[0], big)
		}
		h.deliver()

		// A member reads the backlog, most detractors first, without buttons.
		c := h.slash("U0JAAN", "backlog")
		blocks := blockText(c)
		if c.Params.Get("response_type") != "ephemeral" {
			t.Errorf("backlog answered %s", c.Params.Get("response_type"))
		}
		bigAt := strings.Index(blocks, fmt.Sprintf("#%d ", big))
		smallAt := strings.Index(blocks, fmt.Sprintf("#%d ", small))
		if bigAt < 0 || smallAt < 0 || bigAt > smallAt || !strings.Contains(blocks, "4 detractor cases") {
			t.Errorf("member's backlog %s", blocks)
		}
		if b := backlogButtons(t, c.Params.Get("blocks")); len(b) != 0 || !strings.Contains(blocks, "Admins and team managers can change items") {
			t.Errorf("a member got buttons %v", b)
		}
		// A manager gets each item's buttons, valued with the item id.
		c = h.slash("U0MARI", "backlog")
		want := []string{
			fmt.Sprintf("item.take=%d", big), fmt.Sprintf("item.status=%d", big), fmt.Sprintf("item.rename=%d", big),
			fmt.Sprintf("item.take=%d", small), fmt.Sprintf("item.status=%d", small), fmt.Sprintf("item.rename=%d", small),
		}
		if got := backlogButtons(t, c.Params.Get("blocks")); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("manager's buttons %v, want %v", got, want)
		}
		if !strings.Contains(c.Params.Get("text"), "2 open items") {
			t.Errorf("fallback text %q", c.Params.Get("text"))
		}

		// A member pressing the buttons is refused privately; nothing changes.
		h.serve(h.press("U0JAAN", cxslack.ActionItemTake, big, "C0CONTACT", "1790000000.000100"))
		h.serve(h.press("U0JAAN", cxslack.ActionItemStatus, big, "C0CONTACT", "1790000000.000100"))
		h.serve(h.press("U0JAAN", cxslack.ActionItemRename, big, "C0CONTACT", "1790000000.000100"))
		if e := h.ephemerals("U0JAAN"); len(e) != 3 || e[0] != "Only admins and team managers can change improvement items." || e[1] != e[0] || e[2] != e[0] {
			t.Errorf("member was told %q", e)
		}
		if n := len(h.fake.Calls("views.open")); n != 0 {
			t.Errorf("a member got a form (%d views.open)", n)
		}
		if it := h.item(big); it.Owner != "" || it.Status != models.ImprovementProposed {
			t.Fatalf("refused presses changed the item: %+v", it)
		}

		// The manager takes the item: the backlog message is replaced.
		rec := h.serve(h.press("U0MARI", cxslack.ActionItemTake, big, "C0CONTACT", "1790000000.000100"))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("take answered %d %q", rec.Code, rec.Body)
		}
		if it := h.item(big); it.Owner != "mari@example.com" {
			t.Fatalf("owner %q after take", it.Owner)
		}
		hooks := h.hookCalls("actions/U0MARI")
		if len(hooks) != 1 || hooks[0].Params.Get("replace_original") != "true" ||
			!strings.Contains(blockText(hooks[0]), fmt.Sprintf("You now own improvement #%d", big)) ||
			!strings.Contains(blockText(hooks[0]), "<@U0MARI>") {
			t.Fatalf("backlog not refreshed after take: %+v", hooks)
		}
		// The refreshed list has no Take button for the item mari owns.
		if b := strings.Join(backlogButtons(t, hooks[0].Params.Get("blocks")), " "); strings.Contains(b, fmt.Sprintf("item.take=%d ", big)) {
			t.Errorf("buttons after take: %s", b)
		}
		// Taking it again is refused.
		h.serve(h.press("U0MARI", cxslack.ActionItemTake, big, "C0CONTACT", "1790000000.000100"))
		if e := h.ephemerals("U0MARI"); len(e) != 1 || e[0] != fmt.Sprintf("Improvement #%d is already yours.", big) {
			t.Errorf("second take was told %q", e)
		}

		// Rename through its modal: the title is required; the new one is
		// stored as typed and shown escaped.
		h.serve(h.press("U0MARI", cxslack.ActionItemRename, big, "C0CONTACT", "1790000000.000100"))
		trigger, view := h.openedView()
		if trigger != fmt.Sprintf("trigger-U0MARI-item.rename-%d", big) || view["callback_id"] != cxslack.ModalItemRename {
			t.Fatalf("rename modal: %q %v", trigger, view["callback_id"])
		}
		if !strings.Contains(slackJSONString(view), h.item(big).Title) {
			t.Errorf("rename modal lacks the current title: %v", view)
		}
		meta := view["private_metadata"].(string)
		title := func(v string) map[string]map[string]any {
			return map[string]map[string]any{"item_title": {"item_title_input": map[string]any{"type": "plain_text_input", "value": v}}}
		}
		rec = h.serve(h.submitView("U0MARI", cxslack.ModalItemRename, meta, title("   ")))
		if !strings.Contains(rec.Body.String(), `"item_title":"An improvement needs a title."`) {
			t.Fatalf("empty title answered %s", rec.Body)
		}
		rec = h.serve(h.submitView("U0MARI", cxslack.ModalItemRename, meta, title("Call back <!channel> & queue")))
		if rec.Body.Len() != 0 {
			t.Fatalf("rename answered %s", rec.Body)
		}
		if it := h.item(big); it.Title != "Call back <!channel> & queue" {
			t.Fatalf("title %q", it.Title)
		}
		hooks = h.hookCalls("actions/U0MARI")
		last := blockText(hooks[len(hooks)-1])
		if !strings.Contains(last, "Call back &lt;!channel&gt; &amp; queue") || strings.Contains(last, "<!channel>") {
			t.Errorf("renamed title not escaped: %s", last)
		}

		// Set status: in progress, then done, which closes the outer loop.
		setStatus := func(user, status string) *http.Request {
			h.serve(h.press(user, cxslack.ActionItemStatus, big, "C0CONTACT", "1790000000.000100"))
			_, view := h.openedView()
			if view["callback_id"] != cxslack.ModalItemStatus {
				t.Fatalf("status modal %v", view["callback_id"])
			}
			return h.submitView(user, cxslack.ModalItemStatus, view["private_metadata"].(string), map[string]map[string]any{
				"item_status": {"item_status_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": status}}}})
		}
		if rec := h.serve(setStatus("U0MARI", models.ImprovementInProgress)); rec.Body.Len() != 0 {
			t.Fatalf("status answered %s", rec.Body)
		}
		if it := h.item(big); it.Status != models.ImprovementInProgress {
			t.Fatalf("status %s", it.Status)
		}
		// A member submitting the form anyway is refused; the modal closes.
		req := setStatus("U0MARI", models.ImprovementDone)
		// The form offers where an item in progress may go.
		_, view = h.openedView()
		if js := slackJSONString(view); strings.Contains(js, `"value":"in_progress"`) || !strings.Contains(js, `"value":"done"`) ||
			!strings.Contains(js, `"value":"proposed"`) || !strings.Contains(js, "4 linked cases") {
			t.Errorf("status modal of an item in progress: %s", js)
		}
		var p map[string]any
		_ = json.Unmarshal([]byte(mustForm(t, req)), &p)
		p["user"] = map[string]any{"id": "U0JAAN", "username": "U0JAAN", "team_id": "T0ACME"}
		if rec := h.serve(h.interaction(p)); rec.Body.Len() != 0 {
			t.Errorf("refused submission answered %s", rec.Body)
		}
		if e := h.ephemerals("U0JAAN"); len(e) != 4 || e[3] != "Only admins and team managers can change improvement items." {
			t.Errorf("member's submission was told %q", e)
		}
		if it := h.item(big); it.Status != models.ImprovementInProgress {
			t.Fatalf("refused submission changed the status to %s", it.Status)
		}
		if n := len(outboxOf(t, s, models.KindFixDoneDM)); n != 0 {
			t.Fatalf("%d DMs queued by a refused change", n)
		}

		// The admin marks it done.
		if rec := h.serve(setStatus("U0LEAD", models.ImprovementDone)); rec.Body.Len() != 0 {
			t.Fatalf("done answered %s", rec.Body)
		}
		it := h.item(big)
		if it.Status != models.ImprovementDone || it.DoneAt == nil {
			t.Fatalf("after done: %+v", it)
		}
		// The outer loop: a DM per owner of a contactable case, an
		// announcement for the team, a "customer told" follow-up per case.
		dms := outboxOf(t, s, models.KindFixDoneDM)
		owners := map[string]bool{}
		for _, m := range dms {
			owners[m.Recipient] = true
			if m.Transport != "slack" || !strings.Contains(m.Text, "You said, we did") {
				t.Errorf("DM %+v", m)
			}
		}
		wantOwners := map[string]bool{}
		for _, id := range process[:3] {
			wantOwners[h.caseOf(id).Owner] = true
		}
		if len(dms) != len(wantOwners) || fmt.Sprint(owners) != fmt.Sprint(wantOwners) {
			t.Errorf("DMs to %v, want %v", owners, wantOwners)
		}
		if ann := outboxOf(t, s, models.KindImprovementDone); len(ann) != 1 || ann[0].Channel != "C0CONTACT" ||
			!strings.Contains(ann[0].Text, "Improvement done: Call back <!channel> & queue") {
			t.Errorf("announcements %+v", ann)
		}
		fus, err := s.FixFollowUps(h.ctx, "")
		if err != nil || len(fus) != 3 {
			t.Errorf("customer-told follow-ups %+v %v", fus, err)
		}
		hooks = h.hookCalls("actions/U0LEAD")
		if len(hooks) == 0 || !strings.Contains(blockText(hooks[len(hooks)-1]), "is done. The owners of its 4 linked cases") {
			t.Errorf("the admin was not told: %+v", hooks)
		}
		h.deliver() // the DMs and the announcement go out
		if n := len(h.fake.Calls("chat.postMessage")); n == 0 {
			t.Error("nothing delivered")
		}

		// A done item is listed under "Done and dropped" without buttons,
		// and its status cannot change any more.
		c = h.slash("U0MARI", "backlog")
		if b := strings.Join(backlogButtons(t, c.Params.Get("blocks")), " "); strings.Contains(b, fmt.Sprintf("=%d", big)) ||
			!strings.Contains(blockText(c), "Done and dropped") {
			t.Errorf("done item in the backlog: %s / %s", b, blockText(c))
		}
		opens := len(h.fake.Calls("views.open"))
		h.serve(h.press("U0MARI", cxslack.ActionItemStatus, big, "C0CONTACT", "1790000000.000100"))
		if len(h.fake.Calls("views.open")) != opens {
			t.Error("a status form opened for a done item")
		}
		if e := h.ephemerals("U0MARI"); e[len(e)-1] != fmt.Sprintf("Improvement #%d is done; its status cannot change any more.", big) {
			t.Errorf("told %q", e)
		}
		// An unknown item.
		h.serve(h.press("U0MARI", cxslack.ActionItemTake, 999, "C0CONTACT", "1790000000.000100"))
		if e := h.ephemerals("U0MARI"); e[len(e)-1] != "There is no improvement #999." {
			t.Errorf("unknown item: %q", e)
		}
	})
}

func outboxOf(t *testing.T, s *models.Store, kind models.OutboxKind) []models.OutboxMessage {
	t.Helper()
	var out []models.OutboxMessage
	if err := s.DB().Where("kind = ?", kind).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func slackJSONString(v any) string { return string(slackJSON(v)) }

// blockText is the decoded text of a call's blocks.
func blockText(c slackfake.Call) string { return strings.Join(c.BlockTexts(), "\n") }

// mustForm returns the payload field of an interaction request.
func mustForm(t *testing.T, req *http.Request) string {
	t.Helper()
	if err := req.ParseForm(); err != nil {
		t.Fatal(err)
	}
	return req.PostForm.Get("payload")
}
