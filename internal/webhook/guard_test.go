package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeResolver answers names from a table, and fails for others.
type fakeResolver map[string][]string

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range r[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// TestGuardURLs is the SSRF table: each URL refused or taken when a
// subscription is saved.
func TestGuardURLs(t *testing.T) {
	g := Guard{Resolver: fakeResolver{
		"hooks.example.com":   {"93.184.215.14"},
		"dual.example.com":    {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
		"rebind.example.com":  {"93.184.215.14", "127.0.0.1"},
		"local.example.com":   {"127.0.0.1"},
		"private.example.com": {"10.1.2.3"},
		"meta.example.com":    {"169.254.169.254"},
		"v6local.example.com": {"::1"},
	}}
	blocked := []string{
		// IPv4
		"http://127.0.0.1/", "http://127.1.2.3:8080/hook", "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/",
		"http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/",
		"http://255.255.255.255/", "http://198.18.0.1/",
		// IPv6
		"http://[::1]/", "http://[::]/", "http://[fe80::1]/", "http://[fc00::1]/", "http://[fd00:ec2::254]/", "http://[ff02::1]/",
		// IPv4 inside IPv6
		"http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::ffff:169.254.169.254]/", "http://[64:ff9b::7f00:1]/",
		"http://[2002:7f00:1::]/", "http://[2002:a00:1::1]/",
		// IPv4 in decimal, octal, hex and short forms
		"http://2130706433/", "http://0177.0.0.1/", "http://0x7f000001/", "http://0x7f.0.0.1/", "http://127.1/",
		"http://017700000001/", "http://0xA9FEA9FE/", "http://3232235777/",
		// Names that resolve there
		"https://local.example.com/hook", "https://private.example.com/", "https://meta.example.com/",
		"https://v6local.example.com/", "https://rebind.example.com/",
	}
	for _, u := range blocked {
		err := g.CheckURL(t.Context(), u)
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: %v, want it refused as not public", u, err)
		}
	}
	allowed := []string{
		"https://hooks.example.com/contactd", "http://hooks.example.com:8080/x?y=1", "https://dual.example.com/",
		"https://93.184.215.14/", "https://[2606:4700:4700::1111]/hook", "http://8.8.8.8/", "http://1249767937/", // 74.125.0.1 in decimal
	}
	for _, u := range allowed {
		if err := g.CheckURL(t.Context(), u); err != nil {
			t.Errorf("%s: %v, want it taken", u, err)
		}
	}
	malformed := map[string]string{
		"ftp://hooks.example.com/":                               "http or https",
		"hooks.example.com/x":                                    "http or https",
		"http:///x":                                              "host",
		"https://user:pw@hooks.example.com/":                     "user name",
		"https://hooks.example.com/#frag":                        "fragment",
		"https://nowhere.example.com/":                           "does not resolve",
		"http://hooks.example.com:99999/":                        "port",
		"https://hooks.example.com/" + strings.Repeat("a", 2100): "2048",
		"://": "absolute",
	}
	for u, want := range malformed {
		if err := g.CheckURL(t.Context(), u); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60s: %v, want an error saying %q", u, err, want)
		}
	}
	// The development switch lets every address through.
	open := Guard{AllowPrivate: true, Resolver: g.Resolver}
	for _, u := range []string{"http://127.0.0.1:8080/", "http://[::1]/", "https://local.example.com/"} {
		if err := open.CheckURL(t.Context(), u); err != nil {
			t.Errorf("with AllowPrivate, %s: %v", u, err)
		}
	}
}

// TestLiteralIP reads the address forms inet_aton takes.
func TestLiteralIP(t *testing.T) {
	for host, want := range map[string]string{
		"2130706433": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "0x7f000001": "127.0.0.1", "127.1": "127.0.0.1",
		"10.1.258": "10.1.1.2", "0": "0.0.0.0", "[::1]": "::1", "1.2.3.4": "1.2.3.4",
	} {
		ip, ok := literalIP(host)
		if !ok || ip.String() != want {
			t.Errorf("literalIP(%s): %v, %v; want %s", host, ip, ok, want)
		}
	}
	for _, host := range []string{"example.com", "1.2.3.4.5", "256.1.1.1", "0x1g", "08.1.1.1", "4294967296", "1..2", ""} {
		if ip, ok := literalIP(host); ok {
			t.Errorf("literalIP(%s) = %v, want not an address", host, ip)
		}
	}
}

// TestGuardAtConnect: a connection to a blocked address is refused when
// it is made, whatever name led there (DNS rebinding), and made with
// AllowPrivate.
func TestGuardAtConnect(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	s := NewSender(Guard{})
	for _, u := range []string{srv.URL, "http://localhost" + port, "http://[::ffff:127.0.0.1]" + port} {
		res := s.Send(t.Context(), Request{URL: u, Body: []byte("{}")})
		if res.OK() || res.Err == nil || !strings.Contains(res.Err.Error(), "not a public address") || res.Status != 0 {
			t.Errorf("%s: %+v, want the connection refused", u, res)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the receiver was reached %d times", n)
	}
	res := NewSender(Guard{AllowPrivate: true}).Send(t.Context(), Request{URL: srv.URL, Body: []byte("{}")})
	if !res.OK() || hits.Load() != 1 {
		t.Errorf("with AllowPrivate: %+v, %d hits", res, hits.Load())
	}
}
