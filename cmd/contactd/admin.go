package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/contactd/contactd"
)

// The operator's commands work on the database directly (--db), with no
// token: whoever can open the database is its administrator.

func tenantCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("tenant create|list", stderr, getenv)
	region := fs.String("region", "", "ISO 3166 alpha-2 region used to read national phone numbers, e.g. US")
	if err := parse(fs, args); err != nil {
		return err
	}
	sub := fs.Arg(0)
	if !(sub == "create" && fs.NArg() == 2) && !(sub == "list" && fs.NArg() == 1) {
		return usageError{"usage: contactd tenant create NAME [--region CC] [--db PATH]\n       contactd tenant list [--db PATH]"}
	}
	store, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := contactd.NewService(store, nil)
	if sub == "list" {
		ts, err := svc.Tenants(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tREGION\tCREATED")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Name, t.DefaultRegion, t.CreatedAt.UTC().Format(contactd.TimeFormat))
		}
		return tw.Flush()
	}
	t, err := svc.CreateTenant(ctx, fs.Arg(1), *region)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, t.ID)
	return nil
}

const tokenUsage = `usage: contactd token create --tenant NAME|ID --scopes a,b [--name N] [--user U] [--kind personal|service] [--db PATH]
       contactd token list --tenant NAME|ID [--db PATH]
       contactd token revoke --tenant NAME|ID TOKEN_ID [--db PATH]`

func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("token create|list|revoke", stderr, getenv)
	tenant := fs.String("tenant", "", "tenant name or id (required)")
	scopes := fs.String("scopes", "", "create: comma-separated scopes: contacts:read,contacts:write,contacts:delete,contacts:admin (required)")
	name := fs.String("name", "", "create: token name; a service token's name is recorded as the actor")
	user := fs.String("user", "", "create: user id a personal token acts as")
	kind := fs.String("kind", "", "create: personal or service (default: personal with --user, else service)")
	if err := parse(fs, args); err != nil {
		return err
	}
	sub := fs.Arg(0)
	switch {
	case *tenant == "":
		return usageError{tokenUsage}
	case sub == "create" && fs.NArg() == 1 && *scopes != "":
	case sub == "list" && fs.NArg() == 1:
	case sub == "revoke" && fs.NArg() == 2:
	default:
		return usageError{tokenUsage}
	}
	var sc []contactd.Scope
	if sub == "create" {
		var err error
		if sc, err = contactd.ParseScopes(*scopes); err != nil {
			return err
		}
	}
	svc, admin, done, err := useTenant(ctx, *db, *tenant, "contactd token", []contactd.Scope{contactd.ScopeAdmin})
	if err != nil {
		return err
	}
	defer done()
	switch sub {
	case "list":
		return listTokens(ctx, svc, admin, stdout)
	case "revoke":
		if err := svc.RevokeToken(ctx, admin, fs.Arg(1)); err != nil {
			return fmt.Errorf("token %q: %w", fs.Arg(1), err)
		}
		fmt.Fprintln(stdout, "revoked", fs.Arg(1))
		return nil
	}
	secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: admin.TenantID, Name: *name, Kind: contactd.TokenKind(*kind), UserID: *user, Scopes: sc})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

// listTokens prints every token of a tenant, revoked ones included; a
// token's secret is never stored, so it cannot be shown.
func listTokens(ctx context.Context, svc *contactd.Service, p contactd.Principal, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tUSER\tSCOPES\tCREATED\tREVOKED")
	cursor := ""
	for {
		page, err := svc.Tokens(ctx, p, contactd.TokenListRequest{ListParams: contactd.ListParams{Limit: 1000, Cursor: cursor, NoCount: true}})
		if err != nil {
			return err
		}
		for _, t := range page.Data {
			scopes := make([]string, len(t.Scopes))
			for i, s := range t.Scopes {
				scopes[i] = string(s)
			}
			revoked := "-"
			if t.RevokedAt != nil {
				revoked = t.RevokedAt.UTC().Format(contactd.TimeFormat)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), t.Kind, orDash(t.UserID),
				strings.Join(scopes, ","), t.CreatedAt.UTC().Format(contactd.TimeFormat), revoked)
		}
		if page.NextCursor == nil {
			return tw.Flush()
		}
		cursor = *page.NextCursor
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("migrate", stderr, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: contactd migrate [--db PATH]"}
	}
	store, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintln(stdout, "database is at the current schema")
	return nil
}
