package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/client"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/sqlite"
)

// exampleServer starts a contactd on a fresh SQLite database, with one
// tenant, and returns its URL and an all-scope token. In a program, these
// are the address of your server and a token from `contactd token create`.
func exampleServer() (url, token string, stop func()) {
	dir, err := os.MkdirTemp("", "contactd-example-")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "contactd.db"))
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := contactd.NewService(store, quiet)
	ten, err := svc.CreateTenant(ctx, "example", "US")
	if err != nil {
		log.Fatal(err)
	}
	token, _, err = svc.CreateToken(ctx, contactd.TokenParams{TenantID: ten.ID, Name: "example", Scopes: contactd.AllScopes})
	if err != nil {
		log.Fatal(err)
	}
	api := httpapi.New(svc, quiet, httpapi.Config{})
	srv := httptest.NewServer(api)
	return srv.URL, token, func() {
		srv.Close()
		api.Close()
		store.Close()
		os.RemoveAll(dir)
	}
}

func Example() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	cl := client.New(url, token)
	c, err := cl.Contacts.Create(ctx, &client.Contact{
		FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Phone: "(415) 555-0100",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.DisplayName, c.Phones[0].E164, c.Version)

	// A change: a JSON merge patch, conditional on the version read.
	c, err = cl.Contacts.Update(ctx, c.ID, map[string]any{"jobTitle": "Analyst"}, client.IfVersion(c.Version))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.JobTitle, c.Version)
	// Output:
	// Ada Lovelace +14155550100 1
	// Analyst 2
}

func ExampleContactsService_Lookup() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	cl := client.New(url, token)
	if _, err := cl.Contacts.Create(ctx, &client.Contact{Name: "Grace Hopper", Phone: "+1 415 555 0199"}); err != nil {
		log.Fatal(err)
	}

	// Who is calling? The number in any form a phone system hands over.
	res, err := cl.Contacts.Lookup(ctx, client.LookupQuery{Phone: "tel:+1-415-555-0199"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Match, res.Data[0].DisplayName)
	// Output: exact Grace Hopper
}

func ExampleContactsService_All() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	cl := client.New(url, token)
	for _, name := range []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"} {
		tags := []string{"pioneer"}
		if strings.HasPrefix(name, "A") {
			tags = append(tags, "a-list")
		}
		if _, err := cl.Contacts.Create(ctx, &client.Contact{Name: name, Tags: tags}); err != nil {
			log.Fatal(err)
		}
	}

	// Every contact with a tag, sorted, a page of one at a time: the
	// iterator reads the next page when it needs it.
	for c, err := range cl.Contacts.All(ctx, client.ListOptions{Filter: `{"tags":"a-list"}`, Sort: "lastName", Limit: 1}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.DisplayName)
	}
	// Output:
	// Ada Lovelace
	// Alan Turing
}

func ExampleProblem() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	cl := client.New(url, token)
	first, err := cl.Contacts.Create(ctx, &client.Contact{Name: "Ada Lovelace", Email: "ada@example.com"})
	if err != nil {
		log.Fatal(err)
	}

	// Emails are unique: the 409 names the contact that has it.
	_, err = cl.Contacts.Create(ctx, &client.Contact{Name: "Someone Else", Email: "ada@example.com"})
	var p *client.Problem
	if errors.As(err, &p) {
		fmt.Println(p.Status, p.ConflictingField, p.ConflictingID == first.ID, p.Errors[0].Location)
	}
	// Output: 409 email true body.emails[0].address
}

func ExampleImportsService_Upload() {
	url, token, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	cl := client.New(url, token)

	csv := "First Name,Last Name,E-mail Address,Phone 1 - Value\n" +
		"Ada,Lovelace,ada@example.com,+1 415 555 0100\n" +
		"Alan,Turing,alan@example.com,+44 20 7946 0000\n"
	job, err := cl.Imports.Upload(ctx, strings.NewReader(csv), client.ImportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	job, err = cl.Imports.Wait(ctx, job.ID, 50*time.Millisecond)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.Status, job.Format, job.Created, job.Failed)
	// Output: succeeded csv 2 0
}
