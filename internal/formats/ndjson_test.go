package formats

import (
	"strings"
	"testing"
)

func TestNDJSONReader(t *testing.T) {
	text := "\uFEFF{\"firstName\":\"Ada\",\"id\":\"ct_x\",\"version\":3}\n\n  \r\n{\"firstName\":7}\nnot json\r\n{\"lastName\":\"Last\"}"
	recs := readAll(t, NewNDJSONReader(strings.NewReader(text)))
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[0].N != 1 || recs[0].Err != nil || recs[0].Input.FirstName != "Ada" || recs[0].Input.ReadOnly["id"] == nil {
		t.Errorf("first %+v", recs[0])
	}
	if recs[1].N != 4 || recs[1].Err == nil || !strings.Contains(recs[1].Err.Error(), "firstName") || recs[1].Raw[0] != `{"firstName":7}` {
		t.Errorf("second %+v", recs[1])
	}
	if recs[2].N != 5 || recs[2].Err == nil || recs[3].N != 6 || recs[3].Input.LastName != "Last" {
		t.Errorf("third and fourth %+v %+v", recs[2], recs[3])
	}
	long := `{"notes":"` + strings.Repeat("a", maxNDJSONLine) + `"}` + "\n" + `{"firstName":"After"}` + "\n"
	recs = readAll(t, NewNDJSONReader(strings.NewReader(long)))
	if len(recs) != 2 || recs[0].Err == nil || recs[1].Input.FirstName != "After" || recs[1].N != 2 {
		t.Errorf("after a line over the limit: %d records", len(recs))
	}
}

func FuzzNDJSONReader(f *testing.F) {
	f.Add("{\"firstName\":\"A\"}\n{\"emails\":[{\"address\":1}]}\n")
	f.Add("\n\n{}\r\n[1]\nnull\n")
	f.Fuzz(func(t *testing.T, text string) {
		r := NewNDJSONReader(strings.NewReader(text))
		last := 0
		for {
			rec, err := r.Next()
			if err != nil {
				return
			}
			if rec.N <= last || (rec.Err == nil) == (rec.Input == nil) || len(rec.Raw) != 1 {
				t.Fatalf("record %+v after line %d", rec, last)
			}
			last = rec.N
		}
	})
}
