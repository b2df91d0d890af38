package formats

import (
	"bufio"
	"encoding/xml"
	"io"
)

// PhonebookEntry is one entry of a desk phone's remote phonebook.
type PhonebookEntry struct {
	Name       string
	Telephones []string
}

// WritePhonebook writes a remote phonebook in the XML format of Yealink
// phones (YealinkIPPhoneDirectory, which Yealink's remote phonebook and
// XML browser read, and Grandstream's and Fanvil's phones import):
//
//	<YealinkIPPhoneDirectory>
//	  <DirectoryEntry><Name>…</Name><Telephone>…</Telephone>…</DirectoryEntry>
//	</YealinkIPPhoneDirectory>
//
// entries yields the entries in order until it returns false or an error.
func WritePhonebook(w io.Writer, next func() (PhonebookEntry, bool, error)) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	bw.WriteString("<YealinkIPPhoneDirectory>\n")
	for {
		e, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		bw.WriteString("  <DirectoryEntry>\n    <Name>")
		xml.EscapeText(bw, []byte(e.Name))
		bw.WriteString("</Name>\n")
		for _, t := range e.Telephones {
			bw.WriteString("    <Telephone>")
			xml.EscapeText(bw, []byte(t))
			bw.WriteString("</Telephone>\n")
		}
		bw.WriteString("  </DirectoryEntry>\n")
	}
	bw.WriteString("</YealinkIPPhoneDirectory>\n")
	return bw.Flush()
}
