package httpapi

import (
	"net/http"

	"github.com/contactd/contactd"
)

// tenantPatch documents the body of PATCH /v1/tenant.
type tenantPatch struct {
	Name          string `json:"name,omitempty" doc:"1 to 128 characters, unique."`
	DefaultRegion string `json:"defaultRegion,omitempty" doc:"ISO 3166 alpha-2 region used to read national phone numbers from now on."`
	UniquePhones  bool   `json:"uniquePhones,omitempty" doc:"When true, a number may belong to only one live contact (409 otherwise). Turning it on while numbers are shared is a 409 listing them."`
	// ChangeRetentionDays is nullable: null sets the default back.
	ChangeRetentionDays *int `json:"changeRetentionDays,omitempty" doc:"How many days the change feed and contact histories keep a change, 1 to 3650 (default 30; null sets it back). A feed cursor older than that answers 410."`
	RateLimit           *int `json:"rateLimit,omitempty" doc:"Requests per second each of the tenant's tokens may make, 1 to 1000000; the server's --rate-limit stays the ceiling. null: the server's."`
}

// tenantRoutes returns the routes of the tenant settings.
func (s *Server) tenantRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/tenant", ID: "getTenant", Tag: "Tenant", Scope: contactd.ScopeRead,
			Summary:   "The tenant's settings",
			Responses: []response{{Status: 200, Doc: "The tenant.", Body: contactd.Tenant{}}}, serve: s.getTenant},
		{Method: "PATCH", Path: "/v1/tenant", ID: "patchTenant", Tag: "Tenant", Scope: contactd.ScopeAdmin,
			Summary: "Change the tenant's settings", Doc: "A JSON merge patch of name, defaultRegion, uniquePhones, changeRetentionDays and rateLimit.",
			Body: tenantPatch{}, BodyType: "application/merge-patch+json",
			Responses: []response{{Status: 200, Doc: "The tenant.", Body: contactd.Tenant{}}}, Errors: []int{409}, serve: s.patchTenant},
	}
}

func (s *Server) getTenant(c *call) (*reply, error) {
	t, err := s.svc.TenantSettings(c.r.Context(), c.p)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: t}, nil
}

func (s *Server) patchTenant(c *call) (*reply, error) {
	tp, err := contactd.DecodeTenantPatch(c.body)
	if err != nil {
		return nil, err
	}
	t, err := s.svc.UpdateTenant(c.r.Context(), c.p, tp)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: t}, nil
}
