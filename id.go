package contactd

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes name the type of an object in its id.
const (
	PrefixContact   = "ct_"
	PrefixPhone     = "ph_"
	PrefixEmail     = "em_"
	PrefixAddress   = "ad_"
	PrefixHandle    = "hd_"
	PrefixExtension = "ext_"
	PrefixLink      = "lk_"
	PrefixUser      = "usr_"
	PrefixSession   = "ses_"
	PrefixTenant    = "tn_"
	PrefixToken     = "tk_"
	PrefixImport    = "imp_"
	PrefixWebhook   = "wh_"
	PrefixDelivery  = "dlv_"
	PrefixMerge     = "mrg_"
)

var (
	idMu      sync.Mutex
	idEntropy = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns a new id with the given type prefix and a time-ordered,
// lower-case ULID body, such as "ct_01j9z3m4k8q7x2v5n6b0c1d2e3".
func NewID(prefix string) string {
	idMu.Lock()
	id := ulid.MustNew(ulid.Timestamp(time.Now()), idEntropy)
	idMu.Unlock()
	return prefix + strings.ToLower(id.String())
}
