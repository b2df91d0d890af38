package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// carddavResult is the CardDAV pass: vdirsyncer's first sync of the first
// tenant's address book and a sync with no changes, against contactd and
// against Radicale serving the same cards.
type carddavResult struct {
	Cards             int     `json:"cards"`
	FirstSyncSeconds  float64 `json:"firstSyncSeconds"`
	NoChangeSeconds   float64 `json:"noChangeSyncSeconds"`
	PeakRSS           int64   `json:"peakRSS"`
	Radicale          string  `json:"radicale,omitempty"`
	RadicaleCards     int     `json:"radicaleCards,omitempty"`
	RadicaleFirstSync float64 `json:"radicaleFirstSyncSeconds,omitempty"`
	RadicaleNoChange  float64 `json:"radicaleNoChangeSyncSeconds,omitempty"`
	RadicaleError     string  `json:"radicaleError,omitempty"`
	Error             string  `json:"error,omitempty"`
	VdirsyncerVersion string  `json:"vdirsyncer,omitempty"`
	// FloorFirstSync and FloorNoChange are vdirsyncer's own time for the
	// same cards between two directories, with no server: the least any
	// server's sync can take with it.
	FloorFirstSync float64 `json:"vdirsyncerFloorFirstSyncSeconds,omitempty"`
	FloorNoChange  float64 `json:"vdirsyncerFloorNoChangeSyncSeconds,omitempty"`
}

// measureCardDAV syncs the tenant's address book with vdirsyncer (a
// first sync into an empty directory, then one with nothing changed),
// then serves the cards it fetched from Radicale, if it is installed, and
// syncs those the same way.
func measureCardDAV(addr string, t *tenantData, dir string, logw io.Writer) *carddavResult {
	res := &carddavResult{}
	if _, err := exec.LookPath("vdirsyncer"); err != nil {
		res.Error = "vdirsyncer is not installed (Debian: apt-get install vdirsyncer)"
		return res
	}
	if out, err := exec.Command("vdirsyncer", "--version").Output(); err == nil {
		res.VdirsyncerVersion = strings.TrimSpace(string(out))
	}
	local := filepath.Join(dir, "carddav-contactd")
	n, first, again, err := vdirsync(local, "http://"+addr+"/", "bench", t.Token, logw)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Cards, res.FirstSyncSeconds, res.NoChangeSeconds = n, first, again
	if res.FloorFirstSync, res.FloorNoChange, err = floorSync(dir, filepath.Join(local, "files", "contacts")); err != nil {
		res.Error = "vdirsyncer between directories: " + err.Error()
		return res
	}
	if _, err := exec.LookPath("radicale"); err != nil {
		res.RadicaleError = "radicale is not installed (Debian: apt-get install radicale)"
		return res
	}
	rn, rfirst, ragain, version, err := radicaleSync(dir, filepath.Join(local, "files", "contacts"), logw)
	res.Radicale = version
	if err != nil {
		res.RadicaleError = err.Error()
		return res
	}
	res.RadicaleCards, res.RadicaleFirstSync, res.RadicaleNoChange = rn, rfirst, ragain
	return res
}

// vdirsync configures vdirsyncer for one server in dir and times its
// first sync and a sync with nothing changed; it returns how many cards
// the first one fetched.
func vdirsync(dir, url, user, password string, logw io.Writer) (int, float64, float64, error) {
	files := filepath.Join(dir, "files")
	for _, d := range []string{files, filepath.Join(dir, "status")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, 0, 0, err
		}
	}
	cfg := filepath.Join(dir, "config")
	conf := fmt.Sprintf(`[general]
status_path = %q

[pair bench]
a = "local"
b = "remote"
collections = ["from b"]
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = %q
fileext = ".vcf"

[storage remote]
type = "carddav"
url = %q
username = %q
password = %q
`, filepath.Join(dir, "status")+"/", files+"/", url, user, password)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return 0, 0, 0, err
	}
	first, again, err := syncTwice(cfg)
	if err != nil {
		return 0, 0, 0, err
	}
	cards, _ := filepath.Glob(filepath.Join(files, "*", "*.vcf"))
	fmt.Fprintf(logw, "carddav %s: first sync of %d cards in %.2f s\n", url, len(cards), first)
	return len(cards), first, again, nil
}

// syncTwice runs vdirsyncer's discover with the configuration cfg, then
// times its first sync and a second one, with nothing changed.
func syncTwice(cfg string) (float64, float64, error) {
	discover := exec.Command("vdirsyncer", "-c", cfg, "discover")
	discover.Stdin = strings.NewReader("y\ny\ny\n")
	if out, err := discover.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("vdirsyncer discover: %v: %s", err, tail(out))
	}
	var times [2]float64
	for i := range times {
		start := time.Now()
		if out, err := exec.Command("vdirsyncer", "-c", cfg, "sync").CombinedOutput(); err != nil {
			return 0, 0, fmt.Errorf("vdirsyncer sync: %v: %s", err, tail(out))
		}
		times[i] = time.Since(start).Seconds()
	}
	return times[0], times[1], nil
}

// floorSync times vdirsyncer syncing the cards in cards into an empty
// directory, then again with nothing changed: its own work, no server.
func floorSync(dir, cards string) (float64, float64, error) {
	base := filepath.Join(dir, "carddav-floor")
	from := filepath.Join(base, "from", "contacts")
	for _, d := range []string{from, filepath.Join(base, "to"), filepath.Join(base, "status")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, 0, err
		}
	}
	files, _ := filepath.Glob(filepath.Join(cards, "*.vcf"))
	for _, f := range files {
		if err := os.Link(f, filepath.Join(from, filepath.Base(f))); err != nil {
			return 0, 0, err
		}
	}
	cfg := filepath.Join(base, "config")
	conf := fmt.Sprintf(`[general]
status_path = %q

[pair floor]
a = "from"
b = "to"
collections = ["from a"]

[storage from]
type = "filesystem"
path = %q
fileext = ".vcf"

[storage to]
type = "filesystem"
path = %q
fileext = ".vcf"
`, filepath.Join(base, "status")+"/", filepath.Join(base, "from")+"/", filepath.Join(base, "to")+"/")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return 0, 0, err
	}
	return syncTwice(cfg)
}

// radicaleSync serves the cards in cards from a new Radicale (filesystem
// storage, no authentication) on 127.0.0.1 and syncs them with vdirsyncer
// as vdirsync does.
func radicaleSync(dir, cards string, logw io.Writer) (int, float64, float64, string, error) {
	root := filepath.Join(dir, "radicale")
	book := filepath.Join(root, "collection-root", "bench", "contacts")
	if err := os.MkdirAll(book, 0o755); err != nil {
		return 0, 0, 0, "", err
	}
	if err := os.WriteFile(filepath.Join(book, ".Radicale.props"), []byte(`{"D:displayname": "Contacts", "tag": "VADDRESSBOOK"}`), 0o644); err != nil {
		return 0, 0, 0, "", err
	}
	files, _ := filepath.Glob(filepath.Join(cards, "*.vcf"))
	for _, f := range files {
		if err := os.Link(f, filepath.Join(book, filepath.Base(f))); err != nil {
			return 0, 0, 0, "", err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, 0, "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(root, "config")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`[server]
hosts = 127.0.0.1:%d
[auth]
type = none
[rights]
type = owner_only
[storage]
filesystem_folder = %s
[logging]
level = warning
`, port, filepath.Join(root))), 0o644); err != nil {
		return 0, 0, 0, "", err
	}
	version := ""
	if out, err := exec.Command("radicale", "--version").Output(); err == nil {
		version = "Radicale " + strings.TrimSpace(string(out))
	}
	logf, err := os.Create(filepath.Join(root, "radicale.log"))
	if err != nil {
		return 0, 0, 0, version, err
	}
	defer logf.Close()
	cmd := exec.Command("radicale", "--config", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, version, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			return 0, 0, 0, version, fmt.Errorf("radicale did not start (log %s)", logf.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
	n, first, again, err := vdirsync(filepath.Join(dir, "carddav-radicale"), "http://"+addr+"/", "bench", "x", logw)
	return n, first, again, version, err
}

// tail is the end of a command's output, for an error.
func tail(out []byte) string {
	s := strings.TrimSpace(string(out))
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}
