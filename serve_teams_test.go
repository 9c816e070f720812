package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/models"
)

func TestTeamsPlatformOnlyWithAnAppID(t *testing.T) {
	vars := map[string]string{"CXLOOP_CONFIG": ""}
	load := func() *config.Config {
		cfg, err := config.Load(func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	e := &env{log: slog.New(slog.NewTextHandler(io.Discard, nil)), stdout: io.Discard, stderr: io.Discard}
	deps := platformDeps{cfg: load(), clock: models.SystemClock{}, env: e}
	pl, err := teamsPlatform(context.Background(), deps)
	if err != nil || pl != nil {
		t.Fatalf("without MICROSOFT_APP_ID Teams is off: %v %v", pl, err)
	}
	vars["MICROSOFT_APP_ID"], vars["MICROSOFT_APP_PASSWORD"] = "app", "secret"
	vars["TEAMS_OPENID_METADATA_URL"] = "http://127.0.0.1:1/openid"
	deps.cfg = load()
	deps.policy = deps.cfg.Policy()
	pl, err = teamsPlatform(context.Background(), deps)
	if err != nil || pl == nil || pl.messenger == nil || pl.app.Routes()["POST /api/messages"] == nil {
		t.Fatalf("with an app id: %+v %v", pl, err)
	}
	for _, auth := range []string{"", "Bearer ", "Bearer x.y.z"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/messages", strings.NewReader(`{"type":"message","text":"help"}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		pl.app.Routes()["POST /api/messages"].ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", auth, rec.Code)
		}
	}
}
