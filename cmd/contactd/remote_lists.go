package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/contactd/contactd/client"
)

const tagsUsage = `usage: contactd tags list [--q PREFIX]
       contactd tags get ID
       contactd tags create NAME [--color #RRGGBB] [--description D]
       contactd tags update ID [--name N] [--color C] [--description D]
       contactd tags delete ID

A tag renamed is renamed on every contact; a tag deleted is removed from
every contact. --url and --token (or CONTACTD_URL and CONTACTD_TOKEN) name
the server and the tenant.

Examples:
  contactd tags create vip --color '#d4af37' --description "Customers we call back first"
  contactd tags list --q v
  contactd tags update tg_01… --name VIP

` + exitCodes + "\n"

func tagsCmd(ctx context.Context, args []string, stdout, stderr io.Writer, stdin io.Reader, getenv func(string) string) error {
	fs, open := clientFlags("tags", tagsUsage, stderr, getenv)
	q := fs.String("q", "", "list: tags whose name starts with this")
	fs.String("name", "", "update: the new name")
	fs.String("color", "", "create, update: #RRGGBB")
	fs.String("description", "", "create, update: what the tag is for")
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
	fields := changed(fs, map[string]string{"name": "name", "color": "color", "description": "description"})
	show := func(t *client.Tag, err error) error {
		if err != nil {
			return apiError(err)
		}
		return r.show(t, "ID\tNAME\tCOLOR\tDESCRIPTION", func(tw io.Writer) { fmt.Fprintln(tw, tagRow(*t)) })
	}
	switch {
	case sub == "list" && nargs == 1:
		return apiError(each(r, r.cl.Tags.All(ctx, client.ListOptions{Q: *q}), "ID\tNAME\tCOLOR\tDESCRIPTION", tagRow))
	case sub == "get" && nargs == 2:
		return show(r.cl.Tags.Get(ctx, fs.Arg(1)))
	case sub == "create" && nargs == 2:
		return show(r.cl.Tags.Create(ctx, &client.Tag{Name: fs.Arg(1), Color: fields["color"], Description: fields["description"]}))
	case sub == "update" && nargs == 2 && len(fields) > 0:
		return show(r.cl.Tags.Update(ctx, fs.Arg(1), fields))
	case sub == "delete" && nargs == 2:
		return r.deleted(fs.Arg(1), r.cl.Tags.Delete(ctx, fs.Arg(1)))
	}
	fs.Usage()
	return usageError{}
}

func tagRow(t client.Tag) string {
	return strings.Join([]string{t.ID, t.Name, t.Color, t.Description}, "\t")
}

const segmentsUsage = `usage: contactd segments list [--kind static|dynamic]
       contactd segments get ID
       contactd segments create NAME [--filter JSON] [--description D]   (a filter makes it dynamic)
       contactd segments update ID [--name N] [--filter JSON] [--description D]
       contactd segments delete ID
       contactd segments contacts ID [--q Q] [--sort S] [--limit N]
       contactd segments add ID CONTACT_ID...
       contactd segments remove ID CONTACT_ID...

--url and --token (or CONTACTD_URL and CONTACTD_TOKEN) name the server and
the tenant.

Examples:
  contactd segments create "VIPs in France" --filter '{"tags":"vip","address.country":"FR"}'
  contactd segments create "Follow up"
  contactd segments add sg_01… ct_01… ct_02…
  contactd segments contacts sg_01… --json

` + exitCodes + "\n"

func segmentsCmd(ctx context.Context, args []string, stdout, stderr io.Writer, stdin io.Reader, getenv func(string) string) error {
	fs, open := clientFlags("segments", segmentsUsage, stderr, getenv)
	kind := fs.String("kind", "", "list: static or dynamic")
	list := listFlags(fs)
	fs.String("name", "", "update: the new name")
	fs.String("description", "", "create, update: what the segment is")
	fs.Lookup("filter").Usage = "create, update: the filter of a dynamic segment; contacts: a filter within it"
	if err := parse(fs, args); err != nil {
		return err
	}
	filter, _ := fs.GetString("filter")
	sub, nargs := fs.Arg(0), fs.NArg()
	if sub == "" {
		fs.Usage()
		return usageError{}
	}
	r, err := open(stdout, stdin)
	if err != nil {
		return err
	}
	const header = "ID\tNAME\tKIND\tMEMBERS\tDESCRIPTION"
	show := func(sg *client.Segment, err error) error {
		if err != nil {
			return apiError(err)
		}
		return r.show(sg, header, func(tw io.Writer) { fmt.Fprintln(tw, segmentRow(*sg)) })
	}
	body := map[string]any{}
	for k, v := range changed(fs, map[string]string{"name": "name", "description": "description"}) {
		body[k] = v
	}
	if filter != "" && sub != "contacts" {
		if !json.Valid([]byte(filter)) {
			return usageError{"--filter is not JSON: " + filter}
		}
		body["filter"] = json.RawMessage(filter)
	}
	switch {
	case sub == "list" && nargs == 1:
		return apiError(each(r, r.cl.Segments.All(ctx, *kind, client.ListOptions{}), header, segmentRow))
	case sub == "get" && nargs == 2:
		return show(r.cl.Segments.Get(ctx, fs.Arg(1)))
	case sub == "create" && nargs == 2:
		sg := &client.Segment{Name: fs.Arg(1)}
		if d, ok := body["description"].(string); ok {
			sg.Description = d
		}
		if f, ok := body["filter"].(json.RawMessage); ok {
			sg.Filter = f
		}
		return show(r.cl.Segments.Create(ctx, sg))
	case sub == "update" && nargs == 2 && len(body) > 0:
		return show(r.cl.Segments.Update(ctx, fs.Arg(1), body))
	case sub == "delete" && nargs == 2:
		return r.deleted(fs.Arg(1), r.cl.Segments.Delete(ctx, fs.Arg(1)))
	case sub == "contacts" && nargs == 2:
		opts, limit, err := list()
		if err != nil {
			return err
		}
		return apiError(each(r, upTo(r.cl.Segments.AllContacts(ctx, fs.Arg(1), opts), limit), "ID\tNAME\tEMAIL\tPHONE\tCOMPANY\tUPDATED", contactRow))
	case (sub == "add" || sub == "remove") && nargs >= 3:
		ids := fs.Args()[2:]
		if sub == "add" {
			return show(r.cl.Segments.AddMembers(ctx, fs.Arg(1), ids))
		}
		return show(r.cl.Segments.RemoveMembers(ctx, fs.Arg(1), ids))
	}
	fs.Usage()
	return usageError{}
}

func segmentRow(sg client.Segment) string {
	return strings.Join([]string{sg.ID, sg.Name, sg.Kind, fmt.Sprint(sg.MemberCount), sg.Description}, "\t")
}

const changesUsage = `usage: contactd changes [--from start|now] [--cursor C] [--limit N] [--follow]

The tenant's change feed: every write of every contact, in order. --follow
keeps going, long-polling for new changes until interrupted; with --json
each change is a line, so a pipe sees it as it happens. --url and --token
(or CONTACTD_URL and CONTACTD_TOKEN) name the server and the tenant.

Examples:
  contactd changes --limit 20
  contactd changes --from now --follow --json | while read -r change; do …; done

` + exitCodes + "\n"

func changesCmd(ctx context.Context, args []string, stdout, stderr io.Writer, stdin io.Reader, getenv func(string) string) error {
	fs, open := clientFlags("changes", changesUsage, stderr, getenv)
	from := fs.String("from", "", "without --cursor: start (the oldest change kept) or now")
	cursor := fs.String("cursor", "", "continue after this cursor (printed at the end of a page)")
	limit := fs.Int("limit", 0, "how many changes at most (default: every one there is; with --follow, forever)")
	follow := fs.Bool("follow", false, "keep following the feed, long-polling for new changes")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return usageError{}
	}
	r, err := open(stdout, stdin)
	if err != nil {
		return err
	}
	o := client.ChangeOptions{Cursor: *cursor, From: *from, Limit: min(max(*limit, 0), 1000)}
	const header = "SEQ\tAT\tTYPE\tCONTACT\tVERSION\tACTOR\tFIELDS"
	row := func(ch client.Change) string {
		var fields []string
		for f := range ch.Fields {
			fields = append(fields, f)
		}
		return fmt.Sprintf("%d\t%s\t%s\t%s\t%d\t%s\t%s", ch.Seq, ch.At.UTC().Format(time.RFC3339), ch.Type, ch.ContactID, ch.Version, ch.Actor, strings.Join(fields, ","))
	}
	if *follow {
		// Each change as it comes: a table would wait for its columns.
		if !r.json {
			fmt.Fprintln(r.stdout, strings.ReplaceAll(header, "\t", "  "))
		}
		follow := r.cl.Changes.Follow(ctx, o)
		n := 0
		for ch, err := range follow {
			if err != nil {
				if ctx.Err() != nil {
					return nil // interrupted
				}
				return apiError(err)
			}
			if r.json {
				b, _ := json.Marshal(ch)
				fmt.Fprintln(r.stdout, string(b))
			} else {
				fmt.Fprintln(r.stdout, strings.ReplaceAll(row(ch), "\t", "  "))
			}
			if n++; *limit > 0 && n >= *limit {
				return nil
			}
		}
		return nil
	}
	// Every change there is (or --limit), page after page.
	seq := func(yield func(client.Change, error) bool) {
		for n := 0; ; {
			page, err := r.cl.Changes.List(ctx, o)
			if err != nil {
				yield(client.Change{}, err)
				return
			}
			for _, ch := range page.Data {
				if !yield(ch, nil) {
					return
				}
				if n++; *limit > 0 && n >= *limit {
					return
				}
			}
			o.Cursor = *page.NextCursor
			if len(page.Data) == 0 {
				return
			}
		}
	}
	return apiError(each(r, seq, header, row))
}

// changed returns the string flags the command line set, by field.
func changed(fs interface {
	Changed(string) bool
	GetString(string) (string, error)
}, fields map[string]string) map[string]string {
	out := map[string]string{}
	for flag, field := range fields {
		if fs.Changed(flag) {
			v, _ := fs.GetString(flag)
			out[field] = v
		}
	}
	return out
}
