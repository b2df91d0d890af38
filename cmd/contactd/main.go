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
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
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
  contactd serve [--addr 127.0.0.1:8080] [--db ./contactd.db]
  contactd tenant create NAME [--region US]
  contactd token create --tenant NAME|ID --scopes a,b [--name N] [--user U] [--kind personal|service]
  contactd migrate
  contactd backup DEST
  contactd export [--output FILE] [--format ndjson|csv|vcard] [--filter JSON] [--q Q] [--sort S] [--fields F]
                  [--include-deleted] (--tenant NAME|ID | --url URL --token TOKEN)
  contactd import FILE [--format csv|vcard|ndjson] [--mode create|upsert] [--dry-run] [--mapping JSON]
                  [--charset C] (--tenant NAME|ID | --url URL --token TOKEN)
  contactd version

Every command takes --db (or CONTACTD_DB): a SQLite file path, optionally
written sqlite:PATH. Flags may come before or after arguments.
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
