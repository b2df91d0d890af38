package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// TestReadmeVerification: the verification snippets of the README, in Go
// and in Python, accept contactd's signatures (with either secret during a
// rotation) and refuse a changed body.
func TestReadmeVerification(t *testing.T) {
	secret, other := contactd.NewWebhookSecret(), contactd.NewWebhookSecret()
	k1, _ := contactd.WebhookKey(secret)
	k2, _ := contactd.WebhookKey(other)
	body := []byte(`{"type":"contact.created","data":{"contactId":"ct_1","firstName":"Zoë"}}`)
	r := &http.Request{Header: http.Header{}}
	for k, v := range Headers("msg_1_7", time.Now(), body, k2, k1) {
		r.Header.Set(k, v)
	}
	// The README's Go, as it is written there.
	verify := func(secret string, body []byte) bool {
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		ok := slices.ContainsFunc(strings.Fields(r.Header.Get("webhook-signature")), func(s string) bool {
			return hmac.Equal([]byte(s), []byte(want))
		})
		return ok
	}
	if !verify(secret, body) || !verify(other, body) || verify(secret, append(body, ' ')) || verify(contactd.NewWebhookSecret(), body) {
		t.Error("the README's Go snippet does not verify as it should")
	}

	// The README's Python.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 here")
	}
	headers, _ := json.Marshal(map[string]string{"webhook-id": r.Header.Get("webhook-id"),
		"webhook-timestamp": r.Header.Get("webhook-timestamp"), "webhook-signature": r.Header.Get("webhook-signature")})
	script := `import base64, hashlib, hmac, json, sys
headers = json.loads(sys.argv[1]); body = sys.argv[2].encode()
for secret in sys.argv[3:]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    want = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    ok = any(hmac.compare_digest(s, want) for s in headers["webhook-signature"].split())
    print(ok)
`
	out, err := exec.Command(py, "-c", script, string(headers), string(body), secret, other, contactd.NewWebhookSecret()).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v: %s", err, out)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, []string{"True", "True", "False"}) {
		t.Errorf("the README's Python verifies %v, want True True False", got)
	}
}
