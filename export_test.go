package contactd

// Tests read a contact's later changes a few at a time, so that a
// creation's fields are put together across several reads.
func init() { laterChangesPage = 5 }
