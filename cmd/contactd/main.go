// Command contactd runs the contactd server and its administration commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil && !errors.Is(err, errHelp) {
		os.Exit(exitCode(err, os.Stderr))
	}
}

// exitCode writes a failed command's error to stderr and returns its exit
// code: 2 for a wrong command line, a client command's own code for what
// the server answered, else 1.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	if !errors.As(err, &ue) || ue.msg != "" {
		fmt.Fprintln(stderr, "contactd:", err)
	}
	var ee exitError
	switch {
	case errors.As(err, &ue):
		return 2
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
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
  contactd user create --tenant NAME|ID --email EMAIL [--name N] [--role admin|editor|viewer]   (password on stdin)
  contactd user list --tenant NAME|ID
  contactd migrate
  contactd backup DEST
  contactd export [--output FILE] [--format ndjson|csv|vcard] [--filter JSON] [--q Q] [--sort S] [--fields F]
                  [--include-deleted] (--tenant NAME|ID | --url URL --token TOKEN)
  contactd import FILE [--format csv|vcard|ndjson] [--mode create|upsert] [--dry-run] [--mapping JSON]
                  [--charset C] (--tenant NAME|ID | --url URL --token TOKEN)
  contactd contacts list|get|create|update|delete|lookup …   (a running server: --url, --token)
  contactd tags list|get|create|update|delete …
  contactd segments list|get|create|update|delete|contacts|add|remove …
  contactd changes [--follow]
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
  CONTACTD_URL, CONTACTD_TOKEN     the defaults of --url and --token (contacts, tags, segments,
                                   changes, import, export)
  CONTACTD_WEBHOOK_ALLOW_PRIVATE   true: the default of serve --webhook-allow-private

Each command's --help describes its flags, with examples (contactd contacts --help).
Flags may come before or after the command and its arguments.
`

// run dispatches a command line; it is main without the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{}
	}
	args = commandFirst(args)
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serveCmd(ctx, rest, stdout, stderr, getenv)
	case "tenant":
		return tenantCmd(ctx, rest, stdout, stderr, getenv)
	case "token":
		return tokenCmd(ctx, rest, stdout, stderr, getenv)
	case "user":
		return userCmd(ctx, rest, stdout, stderr, getenv)
	case "migrate":
		return migrateCmd(ctx, rest, stdout, stderr, getenv)
	case "backup":
		return backupCmd(ctx, rest, stdout, stderr, getenv)
	case "export":
		return exportCmd(ctx, rest, stdout, stderr, getenv)
	case "import":
		return importCmd(ctx, rest, stdout, stderr, getenv)
	case "contacts":
		return contactsCmd(ctx, rest, stdout, stderr, stdin, getenv)
	case "tags":
		return tagsCmd(ctx, rest, stdout, stderr, stdin, getenv)
	case "segments":
		return segmentsCmd(ctx, rest, stdout, stderr, stdin, getenv)
	case "changes":
		return changesCmd(ctx, rest, stdout, stderr, stdin, getenv)
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

// stdin is what the client commands read JSON from (tests replace it).
var stdin io.Reader = os.Stdin

// commands are the commands run dispatches.
var commands = []string{"serve", "tenant", "token", "user", "migrate", "backup", "export", "import", "contacts", "tags", "segments", "changes", "version", "help"}

// boolFlags are the flags of the commands that take no value.
var boolFlags = map[string]bool{"--json": true, "--dry-run": true, "--include-deleted": true, "--follow": true, "--permanent": true,
	"--help": true, "-h": true, "--version": true, "--webhook-allow-private": true}

// commandFirst moves flags given before the command after it
// ("contactd --db X tenant create t" is "contactd tenant create t --db X"):
// every command takes its flags anywhere after it.
func commandFirst(args []string) []string {
	if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		return args
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case !strings.HasPrefix(a, "-"):
			if slices.Contains(commands, a) {
				return slices.Concat(args[i:i+1], args[i+1:], args[:i])
			}
			return args // a value where a command should be
		case a == "--":
			return args
		case !strings.Contains(a, "=") && !boolFlags[a]:
			i++ // the flag's value
		}
	}
	return args
}
