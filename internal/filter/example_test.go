package filter_test

import (
	"fmt"
	"strings"

	"github.com/contactd/contactd/internal/filter"
)

// ExampleParse parses the example filter of SPEC §3.
func ExampleParse() {
	doc := `{"tags":{"$in":["vip","enterprise"]},"properties.tier":{"$gte":2},` +
		`"$or":[{"status":"active"},{"doNotCall":false}]}`
	n, err := contacts.Parse([]byte(doc), filter.Options{Region: "US"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var show func(n filter.Node, indent string)
	show = func(n filter.Node, indent string) {
		switch n := n.(type) {
		case *filter.And:
			fmt.Println(indent + "AND")
			for _, c := range n.Nodes {
				show(c, indent+"  ")
			}
		case *filter.Or:
			fmt.Println(indent + "OR")
			for _, c := range n.Nodes {
				show(c, indent+"  ")
			}
		case *filter.Not:
			fmt.Println(indent + "NOT")
			show(n.Node, indent+"  ")
		case *filter.Cond:
			name := n.Field.Name
			if n.Path != nil {
				name += "[" + strings.Join(n.Path, ".") + "]"
			}
			if n.Values != nil {
				fmt.Printf("%s%s %s %v\n", indent, name, n.Op, n.Values)
			} else {
				fmt.Printf("%s%s %s %v (%T)\n", indent, name, n.Op, n.Value, n.Value)
			}
		}
	}
	show(n, "")

	_, err = contacts.Parse([]byte(`{"$or":[{"status":"active"},{"createdAt":{"$gte":"last week"}}]}`), filter.Options{})
	fmt.Println(err)
	// Output:
	// AND
	//   tags $in [vip enterprise]
	//   properties[tier] $gte 2 (float64)
	//   OR
	//     status $eq active (string)
	//     doNotCall $eq false (bool)
	// filter: $or[1].createdAt.$gte: must be an RFC 3339 timestamp, like 2024-01-31T12:00:00Z
}
