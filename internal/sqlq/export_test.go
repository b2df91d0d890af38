package sqlq

// Exposed to the tests: the compiler's tables by name.

// Columns returns the scalar filter columns of a table.
func Columns(table string) map[string]string { return tables[table].columns }

// Sorts returns the sort columns of a table.
func Sorts(table string) map[string]string { return tables[table].sorts }

// Arrays returns the list fields of a table.
func Arrays(table string) map[string][2]string { return tables[table].arrays }

var tables = map[string]*table{"contacts": contacts, "accounts": accounts}

// Driver is Builder.driver.
func Driver(d *Dialect, terms []string) (drive, check []string) { return NewBuilder(d).driver(terms) }

// DocFields returns the fields a table reads from its document.
func DocFields(table string) map[string][]string { return tables[table].docs }
