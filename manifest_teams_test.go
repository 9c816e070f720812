package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"path/filepath"
	"testing"

	"github.com/cxloop/cxloop/handlers/chatops"
)

func TestManifestTeams(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cxloop-teams.zip")
	env := map[string]string{
		"MICROSOFT_APP_ID": "7d1c6a52-1b2e-4f0a-9e3d-5c8b7a6f4e21", "MICROSOFT_APP_PASSWORD": "secret",
		"CXLOOP_PUBLIC_URL": "https://cx.example.com", "CXLOOP_CONFIG": "",
	}
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	if code := run(context.Background(), []string{"manifest", "teams", "--out", out}, getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	var m struct {
		ID   string `json:"id"`
		Bots []struct {
			BotID        string   `json:"botId"`
			Scopes       []string `json:"scopes"`
			CommandLists []struct {
				Commands []struct{ Title string } `json:"commands"`
			} `json:"commandLists"`
		} `json:"bots"`
		ValidDomains []string `json:"validDomains"`
		Icons        struct{ Color, Outline string }
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(m.Bots) != 1 || m.Bots[0].BotID != env["MICROSOFT_APP_ID"] || len(m.Bots[0].Scopes) != 2 ||
		len(m.Bots[0].CommandLists) == 0 || len(m.Bots[0].CommandLists[0].Commands) != min(len(chatops.Commands), teamsCommandLimit) || m.ValidDomains[0] != "cx.example.com" {
		t.Fatalf("manifest: %s", files["manifest.json"])
	}
	for _, c := range m.Bots[0].CommandLists[0].Commands {
		if len(c.Title) > 32 {
			t.Errorf("command title %q is over 32 characters", c.Title)
		}
	}
	for name, size := range map[string]int{m.Icons.Color: 192, m.Icons.Outline: 32} {
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil || img.Bounds().Dx() != size || img.Bounds().Dy() != size {
			t.Errorf("%s: %v %v", name, err, img)
		}
	}
	// The outline icon is white on transparent.
	img, _ := png.Decode(bytes.NewReader(files[m.Icons.Outline]))
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("outline icon corner is not transparent")
	}

	delete(env, "MICROSOFT_APP_ID")
	if code := run(context.Background(), []string{"manifest", "teams", "--out", out}, getenv, &stdout, &stderr); code != 2 {
		t.Errorf("without an app id: exit %d", code)
	}
}
