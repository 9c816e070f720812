package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/handlers/chatops"
)

// teamsCommandLimit is how many commands a Teams command list holds.
const teamsCommandLimit = 10

// teamsCommands is the bot's command list in the app manifest, from the one
// command table: titles of at most 32 characters, descriptions of at most
// 128, as every schema version accepts. A list holds ten commands: the
// first ten of the table (help among them, which names the rest).
func teamsCommands() []map[string]string {
	var out []map[string]string
	for _, c := range chatops.Commands[:min(len(chatops.Commands), teamsCommandLimit)] {
		d := upperFirst(c.Help)
		if c.Args != "" {
			d += ": " + c.Synopsis()
		}
		out = append(out, map[string]string{"title": c.Name, "description": d})
	}
	return out
}

// guid matches an Azure app id.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// httpsURL checks a public URL as the platforms want it: https, with a host.
func httpsURL(name, v string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(v, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, usageError(fmt.Sprintf("%s %q must be an https:// address the platform can reach, such as https://cx.example.com", name, v))
	}
	return u, nil
}

// manifestTeams writes the Teams app package: manifest.json for the bot
// (team and personal scopes, the command list) and its two icons.
func manifestTeams(ctx context.Context, e *env) error {
	fs := flag.NewFlagSet("manifest teams", flag.ContinueOnError)
	out := fs.String("out", "cxloop-teams.zip", "where to write the app package")
	version := fs.String("version", packageVersion(readBuildInfo()), "the app package's version, MAJOR.MINOR.PATCH; raise it for Teams to take an update")
	if err := e.parseNoArgs(fs, e.args[1:]); err != nil {
		return err
	}
	// The package holds the app id and the address only: no YAML and no
	// bot password are needed to build it.
	appID := config.EnvValue(e.getenv, "MICROSOFT_APP_ID")
	if appID == "" {
		return usageError(`MICROSOFT_APP_ID is not set: register the bot in Azure first (README, "Connect Teams")`)
	}
	if !guid.MatchString(appID) {
		return usageError(fmt.Sprintf("MICROSOFT_APP_ID %q is not an Azure app id (a GUID such as 7d1c6a52-1b2e-4f0a-9e3d-5c8b7a6f4e21)", appID))
	}
	if !semverCore.MatchString(*version) || strings.Count(*version, ".") != 2 || strings.HasPrefix(*version, "v") {
		return usageError(fmt.Sprintf("--version %q: want MAJOR.MINOR.PATCH, such as 1.2.0", *version))
	}
	site, err := httpsURL("CXLOOP_PUBLIC_URL", config.EnvValue(e.getenv, "CXLOOP_PUBLIC_URL"))
	if err != nil {
		return err
	}
	manifest := teamsManifest(appID, site, *version)
	var buf bytes.Buffer
	if err := writeTeamsPackage(&buf, manifest); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (version %s) for bot %s: upload it in Teams (Apps → Manage your apps → Upload an app)\n", *out, *version, appID)
	return nil
}

// teamsManifest is the app manifest (schema 1.17) for the bot at u.
func teamsManifest(appID string, u *url.URL, version string) map[string]any {
	site := u.String()
	commands := teamsCommands()
	m := map[string]any{
		"$schema":         "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json",
		"manifestVersion": "1.17",
		"version":         version,
		"id":              appID,
		"developer": map[string]string{
			"name": "cxloop", "websiteUrl": site, "privacyUrl": site, "termsOfUseUrl": site,
		},
		"name": map[string]string{"short": "cxloop", "full": "cxloop: close the customer-feedback loop"},
		"description": map[string]string{
			"short": "Detractor feedback as cases your team closes in Teams.",
			"full": "cxloop posts every detractor survey response to your team's channel as a case card, gives it an owner, " +
				"chases the thank-you and the resolution, escalates what runs late and feeds systemic problems into an improvement backlog.",
		},
		"icons":       map[string]string{"color": "color.png", "outline": "outline.png"},
		"accentColor": "#1F6FEB",
		"bots": []any{map[string]any{
			"botId":              appID,
			"scopes":             []string{"team", "personal"},
			"supportsFiles":      false,
			"isNotificationOnly": false,
			"commandLists": []any{
				map[string]any{"scopes": []string{"team"}, "commands": commands},
				map[string]any{"scopes": []string{"personal"}, "commands": commands},
			},
		}},
		"permissions":  []string{"identity", "messageTeamMembers"},
		"validDomains": []string{u.Host},
	}
	return m
}

// writeTeamsPackage writes the zip: manifest.json, color.png, outline.png.
func writeTeamsPackage(w io.Writer, manifest map[string]any) error {
	zw := zip.NewWriter(w)
	add := func(name string, write func(io.Writer) error) error {
		f, err := zw.Create(name)
		if err != nil {
			return err
		}
		return write(f)
	}
	err := add("manifest.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(manifest)
	})
	if err == nil {
		err = add("color.png", func(w io.Writer) error { return png.Encode(w, teamsIcon(192, true)) })
	}
	if err == nil {
		err = add("outline.png", func(w io.Writer) error { return png.Encode(w, teamsIcon(32, false)) })
	}
	if err != nil {
		return fmt.Errorf("app package: %w", err)
	}
	return zw.Close()
}

// teamsIcon draws the app icon: a loop (an open ring with an arrow head).
// The color icon is white on a blue square; the outline icon is white on
// transparent, as Teams requires.
func teamsIcon(size int, colored bool) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	bg := color.NRGBA{0x1F, 0x6F, 0xEB, 0xFF}
	white := color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	c := float64(size) / 2
	outer, inner := float64(size)*0.36, float64(size)*0.24
	if !colored {
		outer, inner = float64(size)*0.44, float64(size)*0.30
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if colored {
				img.SetNRGBA(x, y, bg)
			}
			dx, dy := float64(x)+0.5-c, float64(y)+0.5-c
			r := math.Hypot(dx, dy)
			angle := math.Atan2(dy, dx) // 0 at the right, clockwise in image space
			inRing := r >= inner && r <= outer && !(angle > -0.35 && angle < 0.35)
			// The arrow head: a triangle at the gap's lower edge, pointing up.
			ax, ay := dx-(inner+outer)/2, dy-float64(size)*0.05
			inHead := ay <= 0 && ay >= -float64(size)*0.16 && math.Abs(ax) <= (ay+float64(size)*0.16)*0.9
			if inRing || inHead {
				img.SetNRGBA(x, y, white)
			}
		}
	}
	return img
}
