package main

import (
	"context"
	"fmt"
	"io"

	"github.com/contactd/contactd"
)

func tenantCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("tenant create", stderr, getenv)
	region := fs.String("region", "", "ISO 3166 alpha-2 region used to read national phone numbers, e.g. US")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 || fs.Arg(0) != "create" {
		return usageError{"usage: contactd tenant create NAME [--region CC] [--db PATH]"}
	}
	store, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	t, err := contactd.NewService(store, nil).CreateTenant(ctx, fs.Arg(1), *region)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, t.ID)
	return nil
}

func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("token create", stderr, getenv)
	tenant := fs.String("tenant", "", "tenant name or id (required)")
	scopes := fs.String("scopes", "", "comma-separated scopes: contacts:read,contacts:write,contacts:delete,contacts:admin (required)")
	name := fs.String("name", "", "token name; a service token's name is recorded as the actor")
	user := fs.String("user", "", "user id a personal token acts as")
	kind := fs.String("kind", "", "personal or service (default: personal with --user, else service)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "create" || *tenant == "" || *scopes == "" {
		return usageError{"usage: contactd token create --tenant NAME|ID --scopes a,b [--name N] [--user U] [--kind personal|service] [--db PATH]"}
	}
	sc, err := contactd.ParseScopes(*scopes)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := contactd.NewService(store, nil)
	t, err := svc.FindTenant(ctx, *tenant)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", *tenant, err)
	}
	secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: t.ID, Name: *name, Kind: contactd.TokenKind(*kind), UserID: *user, Scopes: sc})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	return nil
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
