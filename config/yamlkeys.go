package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// unknownKeys lists the keys of a YAML document that t (a struct) has no
// field for, each by its path as the README writes it:
// "teams[0].channel: unknown key (line 5)". yaml.v3's own error names Go
// types instead.
func unknownKeys(doc *yaml.Node, t reflect.Type) []string {
	var out []string
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		walkKeys(doc.Content[0], t, "", &out)
	}
	return out
}

var yamlNodeType = reflect.TypeOf(yaml.Node{})
var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func walkKeys(n *yaml.Node, t reflect.Type, path string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == yamlNodeType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return // read by its own code, which reports its own errors
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				*out = append(*out, fmt.Sprintf("%s: unknown key (line %d; known: %s)", join(path, k.Value), k.Line, strings.Join(names, ", ")))
				continue
			}
			walkKeys(v, ft, join(path, k.Value), out)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, el := range n.Content {
			walkKeys(el, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), out)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
