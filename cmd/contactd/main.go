// Command contactd runs the contactd server and its administration commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil && !errors.Is(err, errHelp) {
		var ue usageError
		if !errors.As(err, &ue) || ue.msg != "" {
			fmt.Fprintln(os.Stderr, "contactd:", err)
		}
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `contactd — a multi-tenant contacts service

Usage:
  contactd serve [--addr 127.0.0.1:8080] [--db ./contactd.db]   (contactd serve --help lists every flag)
  contactd tenant create NAME [--region US]
  contactd tenant list
  contactd token create --tenant NAME|ID --scopes a,b [--name N] [--user U] [--kind personal|service]
  contactd token list --tenant NAME|ID
  contactd token revoke --tenant NAME|ID TOKEN_ID
  contactd migrate
  contactd backup DEST
  contactd export [--output FILE] [--format ndjson|csv|vcard] [--filter JSON] [--q Q] [--sort S] [--fields F]
                  [--include-deleted] (--tenant NAME|ID | --url URL --token TOKEN)
  contactd import FILE [--format csv|vcard|ndjson] [--mode create|upsert] [--dry-run] [--mapping JSON]
                  [--charset C] (--tenant NAME|ID | --url URL --token TOKEN)
  contactd version

The database. Every command takes --db: a SQLite file path (the default is
./contactd.db; sqlite:PATH also works) or a PostgreSQL URL such as
postgres://user:password@host:5432/contactd?sslmode=require. The commands
that take --db work on the database directly, with no token.

Lost the token printed at first start? Make another one:
  contactd token create --tenant default --scopes contacts:read,contacts:write,contacts:delete,contacts:admin

Environment:
  CONTACTD_DB                      the default of --db
  CONTACTD_ADDR                    the default of serve --addr
  CONTACTD_URL, CONTACTD_TOKEN     the defaults of import and export --url and --token
  CONTACTD_WEBHOOK_ALLOW_PRIVATE   true: the default of serve --webhook-allow-private

Each command's --help describes its flags. Flags may come before or after arguments.
`

// run dispatches a command line; it is main without the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serveCmd(ctx, rest, stdout, stderr, getenv)
	case "tenant":
		return tenantCmd(ctx, rest, stdout, stderr, getenv)
	case "token":
		return tokenCmd(ctx, rest, stdout, stderr, getenv)
	case "migrate":
		return migrateCmd(ctx, rest, stdout, stderr, getenv)
	case "backup":
		return backupCmd(ctx, rest, stdout, stderr, getenv)
	case "export":
		return exportCmd(ctx, rest, stdout, stderr, getenv)
	case "import":
		return importCmd(ctx, rest, stdout, stderr, getenv)
	case "version", "--version":
		fmt.Fprintln(stdout, "contactd", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}
