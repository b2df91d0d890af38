package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// Guard decides which addresses deliveries may reach. Unless AllowPrivate,
// it refuses every address that is not public: loopback, private,
// link-local (the cloud metadata service's 169.254.169.254 among them),
// shared, unspecified, multicast and reserved ranges, in IPv4 and IPv6,
// IPv4 addresses written inside IPv6 (mapped, NAT64, 6to4) and IPv4
// written in decimal, octal or hex. It checks a URL when a subscription is
// saved and every address when a connection is made, so a name that
// resolves elsewhere later (DNS rebinding) is still refused.
type Guard struct {
	AllowPrivate bool
	// Resolver looks names up (net.DefaultResolver when nil).
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
}

// ErrBlocked is the error of an address the guard refuses.
var ErrBlocked = errors.New("not a public address")

// blockedPrefixes are the ranges a delivery may not reach.
var blockedPrefixes = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // shared (carrier-grade NAT)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"fc00::/7",        // unique local (fd00:ec2::254 is a metadata address)
		"fe80::/10",       // link-local
		"ff00::/8",        // multicast
		"2001::/23",       // IETF protocol assignments (Teredo among them)
		"64:ff9b:1::/48",  // local-use NAT64
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Blocked reports whether a delivery may not reach ip.
func Blocked(ip netip.Addr) bool {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if !ip.IsValid() {
		return true
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip): // 64:ff9b::7f00:1 reaches 127.0.0.1
			return Blocked(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip): // 2002:7f00:1:: routes to 127.0.0.1
			return Blocked(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// CheckURL checks the URL of a subscription: absolute http or https, with
// a host and no user or password; its host, an address or a name (every
// address the name resolves to), must be public unless AllowPrivate. The
// error says what is wrong, for the client.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("must be an absolute http or https URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must be an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("must name a host")
	case u.User != nil:
		return errors.New("must not carry a user name or password (sign with the secret instead)")
	case u.Fragment != "":
		return errors.New("must not have a fragment")
	case len(raw) > 2048:
		return errors.New("must be at most 2048 characters")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New("has an invalid port")
		}
	}
	if g.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, ok := literalIP(host); ok {
		if Blocked(ip) {
			return fmt.Errorf("points at %s, %w: deliveries go only to public addresses", ip, ErrBlocked)
		}
		return nil
	}
	ips, err := g.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("names a host that does not resolve: %s", host)
	}
	for _, ip := range ips {
		if Blocked(ip) {
			return fmt.Errorf("names %s, which resolves to %s, %w: deliveries go only to public addresses", host, ip.Unmap(), ErrBlocked)
		}
	}
	return nil
}

func (g Guard) resolver() interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
} {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// literalIP reads a host that is an address: IPv6, dotted IPv4, or IPv4 in
// the forms inet_aton also accepts (2130706433, 0x7f000001, 0177.0.0.1,
// 127.1), which some resolvers take as addresses.
func literalIP(host string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return ip, true
	}
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := inetNumber(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	// The last part fills the bytes the others leave.
	var n uint64
	last := len(vals) - 1
	for i, v := range vals[:last] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// inetNumber reads one part of an inet_aton address: decimal, octal with
// a leading 0, or hex with 0x.
func inetNumber(s string) (uint64, bool) {
	base := 10
	switch {
	case s == "":
		return 0, false
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	v, err := strconv.ParseUint(s, base, 32)
	return v, err == nil
}

// control refuses, at connect time, an address the guard blocks.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: dial %s: %w", address, err)
	}
	if Blocked(ap.Addr()) {
		return fmt.Errorf("webhook: %s is %w", ap.Addr().Unmap(), ErrBlocked)
	}
	return nil
}
