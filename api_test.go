package zohoauth_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"sort"
	"strings"
	"testing"
)

// TestRootAPIIsForUsers keeps the root package to what a program that uses
// a store needs: at most 42 exported constants, variables, functions and
// types (methods not counted; 40 until the lifecycle capability, whose
// record a program reads too). What a store's author needs is in storekit.
func TestRootAPIIsForUsers(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv == nil && d.Name.IsExported() {
						names = append(names, d.Name.Name)
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() {
								names = append(names, s.Name.Name)
							}
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if n.IsExported() {
									names = append(names, n.Name)
								}
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(names)
	if len(names) > 42 {
		t.Fatalf("the root package exports %d names, want at most 42: %s", len(names), strings.Join(names, " "))
	}
	for _, kit := range []string{"Rows", "Find", "PlanSave", "Key", "Field", "CheckSave", "NextID", "StoreError", "MsgGetTokenFile"} {
		if i := sort.SearchStrings(names, kit); i < len(names) && names[i] == kit {
			t.Errorf("the root package exports %s, which belongs to storekit", kit)
		}
	}
}
