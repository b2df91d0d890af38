package contactd

import (
	"slices"
	"testing"
)

func TestTagKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want []string
	}{
		{nil, nil},
		{[]string{"VIP", "Customer", "vip", "ÉTÉ", "été"}, []string{"vip", "customer", "été"}},
	} {
		if got := TagKeys(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("TagKeys(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
