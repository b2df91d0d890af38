package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/contactd/contactd"
)

// documentServer is the server URL the document names; requests are
// matched against the document as if sent there.
const documentServer = "http://127.0.0.1:8080"

// validateExchanges checks, with kin-openapi, that the document is valid
// OpenAPI 3.1, that every exchange's request finds the operation of its
// route, that requests meant to be valid validate, and that every response
// (status, headers and body) validates against the document.
func validateExchanges(t *testing.T, raw []byte, exs []exchange) {
	t.Helper()
	ctx := context.Background()
	// kin-openapi decodes no HTML by itself; /docs is a string.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	// An export is newline-delimited JSON: every line must be a JSON value.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", ndjsonDecoder)
	// A phonebook is XML: it must be well-formed.
	openapi3filter.RegisterBodyDecoder("application/xml", xmlDecoder)
	// A photo is an image whose bytes must say the type its header does.
	for _, t := range contactd.PhotoTypes {
		openapi3filter.RegisterBodyDecoder(t, imageDecoder)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	// In OpenAPI 3.1, {} is any value, null included, and that is what the
	// document says of a change's old and new values (generators map it to
	// their "any"); kin-openapi's validator refuses null for it, so here it
	// is spelled out as the list of every JSON type.
	for _, f := range []string{"old", "new"} {
		v := doc.Components.Schemas["FieldChange"].Value.Properties[f].Value
		if v.Type != nil {
			t.Fatalf("FieldChange.%s is no longer the empty schema: %v", f, v.Type)
		}
		v.Type = &openapi3.Types{"null", "boolean", "integer", "number", "string", "array", "object"}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("kin-openapi cannot route the document: %v", err)
	}
	// Problems are reported once each, with how often they occurred.
	problems := map[string]int{}
	report := func(format string, args ...any) { problems[fmt.Sprintf(format, args...)]++ }
	validated := 0
	for _, x := range exs {
		req := httptest.NewRequest(x.method, documentServer+x.url, bytes.NewReader(x.body))
		req.Header = x.header.Clone()
		route, params, err := router.FindRoute(req)
		if err != nil {
			report("%s: %s %s finds no operation: %v", x.key, x.method, x.url, err)
			continue
		}
		if got := route.Method + " " + route.Path; got != x.key {
			report("%s: %s %s is routed to %s by the document", x.key, x.method, x.url, got)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
		if x.valid {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				report("%s: a request the server takes as well-formed does not validate: %s", x.key, oneLine(err))
			}
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.resp.status, Header: x.resp.header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
		out.SetBodyBytes(x.resp.body)
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			report("%s: response %d does not validate: %s", x.key, x.resp.status, oneLine(err))
		}
		validated++
	}
	var msgs []string
	for m, n := range problems {
		msgs = append(msgs, fmt.Sprintf("%s (%d×)", m, n))
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		t.Error(m)
	}
	if validated == 0 {
		t.Error("no exchange was validated")
	}
	t.Logf("validated %d exchanges against the document", validated)
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// ndjsonDecoder checks that every line of newline-delimited JSON is a JSON
// value, and gives the body as the string the document says it is.
func ndjsonDecoder(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return "", nil
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if !json.Valid(line) {
			return nil, fmt.Errorf("line %d is not JSON", i+1)
		}
	}
	return string(b), nil
}

// xmlDecoder checks that a body is well-formed XML with one root element.
func xmlDecoder(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	roots := 0
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("%d root elements, want 1", roots)
	}
	return string(b), nil
}

// imageDecoder checks that an image's bytes are of its Content-Type.
func imageDecoder(body io.Reader, h http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if got := contactd.SniffPhoto(b); got != h.Get("Content-Type") {
		return nil, fmt.Errorf("the body is %q, its Content-Type says %q", got, h.Get("Content-Type"))
	}
	return string(b), nil
}
