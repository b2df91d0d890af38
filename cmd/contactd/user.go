package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/contactd/contactd"
)

const userUsage = `usage: contactd user create --tenant NAME|ID --email EMAIL [--name N] [--role admin|editor|viewer] [--db PATH]
       contactd user list --tenant NAME|ID [--db PATH]

Users are the people of a tenant: admin (every scope), editor (read, write,
delete) or viewer (read, the default). create reads the password from
standard input when it is not a terminal, and asks for it (twice) when it
is. It works on the database directly, as tenant and token do.

Examples:
  contactd user create --tenant default --email ada@example.com --name "Ada Lovelace" --role admin
  printf '%s' "$PASSWORD" | contactd user create --tenant acme --email grace@example.com
  contactd user list --tenant default
`

func userCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("user create|list", stderr, getenv)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage+"\nFlags:\n"+fs.FlagUsages()) }
	tenant := fs.String("tenant", "", "tenant name or id (required)")
	email := fs.String("email", "", "create: the user's email (required)")
	name := fs.String("name", "", "create: the user's name")
	role := fs.String("role", "viewer", "create: admin, editor or viewer")
	if err := parse(fs, args); err != nil {
		return err
	}
	sub := fs.Arg(0)
	if *tenant == "" || fs.NArg() != 1 || (sub != "create" && sub != "list") || (sub == "create" && *email == "") {
		fs.Usage()
		return usageError{}
	}
	svc, admin, done, err := useTenant(ctx, *db, *tenant, "contactd user", []contactd.Scope{contactd.ScopeAdmin})
	if err != nil {
		return err
	}
	defer done()
	if sub == "list" {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tCREATED")
		for cursor := ""; ; {
			page, err := svc.Users(ctx, admin, contactd.UserListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, Cursor: cursor, NoCount: true}})
			if err != nil {
				return err
			}
			for _, u := range page.Data {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, u.CreatedAt.UTC().Format(contactd.TimeFormat))
			}
			if page.NextCursor == nil {
				return tw.Flush()
			}
			cursor = *page.NextCursor
		}
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	u, err := svc.CreateUser(ctx, admin, &contactd.UserInput{Email: *email, Name: *name, Role: *role, Password: password,
		Set: map[string]bool{"email": true, "name": true, "role": true, "password": true}})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, u.ID)
	return nil
}

// readPassword reads a password: asked for twice, unechoed, on a
// terminal; otherwise the first line of in.
func readPassword(in io.Reader, stderr io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(prompt string) (string, error) {
			fmt.Fprint(stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stderr)
			return string(b), err
		}
		p, err := ask("Password: ")
		if err != nil {
			return "", err
		}
		again, err := ask("Again: ")
		if err != nil {
			return "", err
		}
		if p != again {
			return "", fmt.Errorf("the two passwords differ")
		}
		return p, nil
	}
	if in == nil {
		return "", usageError{"give the password on standard input"}
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
