package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// readmeBlocks returns the sh code blocks of the README between the
// heading from (inclusive) and the next heading of level two.
func readmeBlocks(t *testing.T, from string) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n"+from+"\n")
	if i < 0 {
		t.Fatalf("the README has no heading %q", from)
	}
	text = text[i+1:]
	if j := strings.Index(text[len(from):], "\n## "); j >= 0 {
		text = text[:len(from)+j]
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestReadmeWorkingWithContacts runs the README's "Working with contacts"
// and "Finding contacts" commands as printed, in order, against a server
// started as the Quick start says: every request must succeed.
func TestReadmeWorkingWithContacts(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl here")
	}
	n := startNode(t, t.TempDir()+"/readme.db", true)
	token := regexp.MustCompile(`cdt_[A-Za-z0-9_-]{43}`).FindString(n.banner)
	if token == "" {
		t.Fatalf("no token in the banner:\n%s", n.banner)
	}
	blocks := readmeBlocks(t, "## Working with contacts")
	var keep []string
	for _, b := range blocks {
		// The sections past "Finding contacts" need objects of their own
		// (subscriptions, files); their commands are tested by their tests.
		keep = append(keep, b)
		if strings.Contains(b, "/v1/contacts/search") {
			break
		}
	}
	if len(keep) < 2 || !strings.Contains(keep[0], "by-external-id/crm-42") {
		t.Fatalf("the README's blocks moved: %d blocks", len(keep))
	}
	// Each curl fails the script on an error status, and says which.
	script := `set -euo pipefail
curl() { command curl --fail-with-body "$@"; echo; }
` + strings.Join(keep, "\n")
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "B="+n.base, "T="+token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's commands failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"jobTitle":"Rear Admiral"`, `"displayName":"Grace Hopper"`, `"match":"exact"`, `"type":"updated"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %s:\n%s", want, out)
		}
	}
}
