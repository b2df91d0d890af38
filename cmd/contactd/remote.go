package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/contactd/contactd/client"
)

// The client commands talk to a running server with a token (--url,
// --token), through the Go client: contacts, tags, segments and the
// change feed.

// remote holds what every client command shares.
type remote struct {
	cl     *client.Client
	json   bool
	stdout io.Writer
	stdin  io.Reader
}

// remoteFlags adds the flags every client command takes.
func remoteFlags(fs *pflag.FlagSet, getenv func(string) string) (url, token *string, asJSON *bool) {
	url = fs.String("url", getenv("CONTACTD_URL"), "the server, such as http://127.0.0.1:8080; env CONTACTD_URL")
	token = fs.String("token", getenv("CONTACTD_TOKEN"), "a token of the tenant; env CONTACTD_TOKEN")
	asJSON = fs.Bool("json", false, "write JSON (the default when standard output is not a terminal)")
	return url, token, asJSON
}

// clientFlags makes the flag set of a client command, with its usage text
// (which --help prints before the flags).
func clientFlags(name, text string, stderr io.Writer, getenv func(string) string) (*pflag.FlagSet, func(stdout io.Writer, stdin io.Reader) (*remote, error)) {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, text+"\nFlags:\n"+fs.FlagUsages())
	}
	url, token, asJSON := remoteFlags(fs, getenv)
	return fs, func(stdout io.Writer, stdin io.Reader) (*remote, error) {
		if *url == "" || *token == "" {
			return nil, usageError{"give --url and --token (or CONTACTD_URL and CONTACTD_TOKEN)"}
		}
		return &remote{cl: client.New(*url, *token), json: *asJSON || !isTerminal(stdout), stdout: stdout, stdin: stdin}, nil
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// show writes v as JSON, or as the table rows gives.
func (r *remote) show(v any, header string, rows func(tw io.Writer)) error {
	if r.json {
		enc := json.NewEncoder(r.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	rows(tw)
	return tw.Flush()
}

// each writes the items of a list: JSON lines (one object a line, as
// they come) or a table.
func each[T any](r *remote, seq iter.Seq2[T, error], header string, row func(T) string) error {
	var tw *tabwriter.Writer
	if !r.json {
		tw = tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, header)
	}
	enc := json.NewEncoder(r.stdout)
	for v, err := range seq {
		if err != nil {
			if tw != nil {
				tw.Flush()
			}
			return err
		}
		if tw != nil {
			fmt.Fprintln(tw, row(v))
		} else if err := enc.Encode(v); err != nil {
			return err
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// deleted reports a deletion (on a terminal; a script has the exit code).
func (r *remote) deleted(id string, err error) error {
	if err != nil {
		return apiError(err)
	}
	if !r.json {
		fmt.Fprintln(r.stdout, "deleted", id)
	}
	return nil
}

// readJSON reads a JSON object from standard input.
func (r *remote) readJSON(into any) error {
	b, err := io.ReadAll(r.stdin)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		return usageError{"standard input is not a JSON object: " + err.Error()}
	}
	return nil
}

// stdinGiven reports whether standard input is a file or pipe rather than
// a terminal.
func stdinGiven(stdin io.Reader) bool {
	f, ok := stdin.(*os.File)
	if !ok {
		return stdin != nil
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice == 0 && (st.Mode().IsRegular() || st.Mode()&os.ModeNamedPipe != 0)
}

// Exit codes of the client commands, beyond 1 (any other error) and 2 (a
// command line that is wrong).
const (
	exitNotFound = 3 // 404
	exitConflict = 4 // 409, 412
	exitDenied   = 5 // 401, 403
	exitInvalid  = 6 // 400, 413, 415
	exitBusy     = 7 // 429, 503
)

// exitError is an error with the process's exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// apiError words a problem the server answered for the terminal: its
// detail, then each field's location and message, and picks the exit
// code.
func apiError(err error) error {
	var p *client.Problem
	if !errors.As(err, &p) {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", p.Status, strings.ToLower(http.StatusText(p.Status)))
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for _, f := range p.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", f.Location, f.Message)
	}
	if p.ConflictingID != "" {
		fmt.Fprintf(&b, "\n  conflicting contact: %s (%s)", p.ConflictingID, p.ConflictingField)
	}
	code := 1
	switch p.Status {
	case 404:
		code = exitNotFound
	case 409, 412:
		code = exitConflict
	case 401, 403:
		code = exitDenied
	case 400, 413, 415:
		code = exitInvalid
	case 429, 503:
		code = exitBusy
	}
	return exitError{code, errors.New(b.String())}
}

const exitCodes = `Exit codes: 0 done, 1 failed, 2 wrong command line, 3 not found, 4 conflict (a
value another contact has, or a stale --if-version), 5 no valid token or
scope, 6 invalid input (the fields are named on standard error), 7 the
server is busy (retried first).`

const contactsUsage = `usage: contactd contacts list [--q Q] [--filter JSON] [--sort S] [--limit N] [--fields F] [--include-deleted]
       contactd contacts get ID | --email EMAIL | --external-id ID
       contactd contacts create [--name N] [--first-name F] [--last-name L] [--email E] [--phone P]
                                [--company C] [--job-title T] [--tag T]... [--external-id X]   (or JSON on stdin)
       contactd contacts update ID [the fields of create] [--if-version N]   (or a JSON merge patch on stdin)
       contactd contacts delete ID [--permanent]
       contactd contacts lookup PHONE | --email EMAIL | --external-id ID | --extension N [--pbx P]

Every command takes --url and --token (or CONTACTD_URL and CONTACTD_TOKEN),
and writes a table on a terminal, JSON with --json or into a pipe (list:
one contact a line).

Examples:
  contactd contacts list --q ada --sort -updatedAt --limit 20
  contactd contacts list --filter '{"tags":"vip"}' --json | jq .displayName
  contactd contacts create --name "Ada Lovelace" --email ada@example.com --phone "+1 415 555 0100" --tag vip
  echo '{"firstName":"Grace","lastName":"Hopper","company":"Navy"}' | contactd contacts create
  contactd contacts update ct_01… --job-title Analyst --if-version 3
  contactd contacts lookup "(415) 555-0100"
  contactd contacts delete ct_01…

` + exitCodes + "\n"

func contactsCmd(ctx context.Context, args []string, stdout, stderr io.Writer, stdin io.Reader, getenv func(string) string) error {
	fs, open := clientFlags("contacts", contactsUsage, stderr, getenv)
	list := listFlags(fs)
	email := fs.String("email", "", "get, lookup: by email; create, update: the primary email")
	externalID := fs.String("external-id", "", "get, lookup: by external id; create, update: the external id")
	extension := fs.String("extension", "", "lookup: an extension of the phone system")
	pbx := fs.String("pbx", "", "lookup: with --extension, the PBX's id")
	fs.String("name", "", "create, update: the display name (and first and last names)")
	fs.String("first-name", "", "create, update: the first name")
	fs.String("last-name", "", "create, update: the last name")
	fs.String("phone", "", "create, update: the primary phone")
	fs.String("company", "", "create, update: the company")
	fs.String("job-title", "", "create, update: the job title")
	tags := fs.StringArray("tag", nil, "create, update: a tag (repeat for several; update replaces the tags)")
	ifVersion := fs.Int64("if-version", 0, "update, delete: only if the contact is still at this version")
	permanent := fs.Bool("permanent", false, "delete: erase the contact and its history for good (contacts:admin)")
	if err := parse(fs, args); err != nil {
		return err
	}
	sub, nargs := fs.Arg(0), fs.NArg()
	if sub == "" {
		fs.Usage()
		return usageError{}
	}
	r, err := open(stdout, stdin)
	if err != nil {
		return err
	}
	var reqOpts []client.RequestOption
	if *ifVersion > 0 {
		reqOpts = append(reqOpts, client.IfVersion(*ifVersion))
	}
	fields := map[string]any{}
	for flag, field := range map[string]string{"name": "name", "first-name": "firstName", "last-name": "lastName", "email": "email",
		"phone": "phone", "company": "company", "job-title": "jobTitle", "external-id": "externalId"} {
		if fs.Changed(flag) {
			fields[field] = fs.Lookup(flag).Value.String()
		}
	}
	if fs.Changed("tag") {
		fields["tags"] = *tags
	}
	switch {
	case sub == "list" && nargs == 1:
		opts, limit, err := list()
		if err != nil {
			return err
		}
		return apiError(each(r, upTo(r.cl.Contacts.All(ctx, opts), limit), "ID\tNAME\tEMAIL\tPHONE\tCOMPANY\tUPDATED", contactRow))
	case sub == "get" && (nargs == 2 || (nargs == 1 && (*email != "" || *externalID != ""))):
		var c *client.Contact
		switch {
		case nargs == 2:
			c, err = r.cl.Contacts.Get(ctx, fs.Arg(1))
		case *email != "":
			c, err = r.cl.Contacts.GetByEmail(ctx, *email)
		default:
			c, err = r.cl.Contacts.GetByExternalID(ctx, *externalID)
		}
		if err != nil {
			return apiError(err)
		}
		return r.showContact(c)
	case sub == "create" && nargs == 1:
		body := fields
		if len(fields) == 0 && stdinGiven(r.stdin) {
			if err := r.readJSON(&body); err != nil {
				return err
			}
		}
		if len(body) == 0 {
			return usageError{"give the contact's fields as flags (--name, --email…) or as JSON on standard input"}
		}
		var c client.Contact
		if err := remarshal(body, &c); err != nil {
			return err
		}
		created, err := r.cl.Contacts.Create(ctx, &c)
		if err != nil {
			return apiError(err)
		}
		return r.showContact(created)
	case sub == "update" && nargs == 2:
		patch := fields
		if len(fields) == 0 && stdinGiven(r.stdin) {
			if err := r.readJSON(&patch); err != nil {
				return err
			}
		}
		if len(patch) == 0 {
			return usageError{"give the fields to change as flags (--job-title…) or a JSON merge patch on standard input"}
		}
		c, err := r.cl.Contacts.Update(ctx, fs.Arg(1), patch, reqOpts...)
		if err != nil {
			return apiError(err)
		}
		return r.showContact(c)
	case sub == "delete" && nargs == 2:
		if *permanent {
			err = r.cl.Contacts.Erase(ctx, fs.Arg(1), reqOpts...)
		} else {
			err = r.cl.Contacts.Delete(ctx, fs.Arg(1), reqOpts...)
		}
		return r.deleted(fs.Arg(1), err)
	case sub == "lookup" && nargs <= 2:
		q := client.LookupQuery{Phone: fs.Arg(1), Email: *email, ExternalID: *externalID, Extension: *extension}
		if fs.Changed("pbx") {
			q.PBX = pbx
		}
		res, err := r.cl.Contacts.Lookup(ctx, q)
		if err != nil {
			return apiError(err)
		}
		return r.show(res, "MATCH\tID\tNAME\tPHONE\tBLOCKED", func(tw io.Writer) {
			if len(res.Data) == 0 {
				fmt.Fprintf(tw, "%s\t\t\t\t\n", res.Match)
			}
			for _, it := range res.Data {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", res.Match, it.ID, it.DisplayName, primaryPhone(&it.Contact), it.BlockedAt != nil)
			}
		})
	}
	fs.Usage()
	return usageError{}
}

// listFlags adds the flags of a list; the function it returns gives the
// options and the most to list (0: all) once the flags are parsed.
func listFlags(fs *pflag.FlagSet) func() (client.ListOptions, int, error) {
	q := fs.String("q", "", "list: a full-text query")
	filter := fs.String("filter", "", `list: a filter document, such as {"tags":"vip"}`)
	sort := fs.String("sort", "", "list: fields to sort by, - for descending, such as -updatedAt")
	limit := fs.Int("limit", 0, "list: how many at most (default: all)")
	fields := fs.StringSlice("fields", nil, "list: the fields to return (with JSON output)")
	deleted := fs.Bool("include-deleted", false, "list: deleted contacts too")
	return func() (client.ListOptions, int, error) {
		o := client.ListOptions{Q: *q, Sort: *sort, Fields: *fields, IncludeDeleted: *deleted, NoCount: true}
		if *filter != "" {
			if !json.Valid([]byte(*filter)) {
				return o, 0, usageError{"--filter is not JSON: " + *filter}
			}
			o.Filter = *filter
		}
		if *limit < 0 {
			return o, 0, usageError{"--limit must be positive"}
		}
		if *limit > 0 {
			o.Limit = min(*limit, 1000)
		}
		return o, *limit, nil
	}
}

// upTo ends a list after n items (n 0: never).
func upTo[T any](seq iter.Seq2[T, error], n int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		i := 0
		for v, err := range seq {
			if n > 0 && i == n {
				return
			}
			i++
			if !yield(v, err) {
				return
			}
		}
	}
}

func (r *remote) showContact(c *client.Contact) error {
	return r.show(c, "FIELD\tVALUE", func(tw io.Writer) {
		row := func(k, v string) {
			if v != "" {
				fmt.Fprintf(tw, "%s\t%s\n", k, v)
			}
		}
		row("id", c.ID)
		row("version", fmt.Sprint(c.Version))
		row("name", c.DisplayName)
		row("company", c.Company)
		row("job title", c.JobTitle)
		for _, e := range c.Emails {
			row("email", e.Address+" ("+e.Type+")")
		}
		for _, p := range c.Phones {
			row("phone", p.E164+" ("+p.Type+")")
		}
		row("tags", strings.Join(c.Tags, ", "))
		row("external id", c.ExternalID)
		if c.BlockedAt != nil {
			row("blocked", c.BlockReason)
		}
		if !c.UpdatedAt.IsZero() {
			row("updated", c.UpdatedAt.UTC().Format(time.RFC3339))
		}
	})
}

func contactRow(c client.Contact) string {
	email := ""
	if len(c.Emails) > 0 {
		email = c.Emails[0].Address
		for _, e := range c.Emails {
			if e.Primary {
				email = e.Address
			}
		}
	}
	return strings.Join([]string{c.ID, c.DisplayName, email, primaryPhone(&c), c.Company, c.UpdatedAt.UTC().Format(time.RFC3339)}, "\t")
}

func primaryPhone(c *client.Contact) string {
	for _, p := range c.Phones {
		if p.Primary {
			return p.E164
		}
	}
	if len(c.Phones) > 0 {
		return c.Phones[0].E164
	}
	return ""
}

// remarshal converts a JSON-shaped value to another type.
func remarshal(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(to); err != nil {
		return usageError{"the contact: " + err.Error()}
	}
	return nil
}
