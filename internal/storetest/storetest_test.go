package storetest_test

import (
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// TestConformance runs the store conformance suite against every backend.
func TestConformance(t *testing.T) { storetest.Each(t, storetest.Run) }
