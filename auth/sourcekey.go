package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// emptyWords are what tools print for a value that is not there. Each would otherwise pass as
// a short gateway token and replace a good key whenever the API cannot be asked.
var emptyWords = map[string]string{
	"null":      "null, which is what jq prints for a field that is not there: check the field name (and use jq -r)",
	"None":      "None, which is what aws --query and Python print for a value that is not there: check the query",
	"undefined": "undefined, a value that is not there: check the field name",
	"nil":       "nil, a value that is not there: check the field name",
	"(null)":    "(null), a value that is not there: check the field name",
}

// keyFieldNames are the names a key goes by in a JSON object, in lower case without _ and -.
var keyFieldNames = map[string]bool{
	"apikey": true, "key": true, "token": true, "accesstoken": true, "authtoken": true,
	"secret": true, "secretstring": true, "value": true, "password": true, "credential": true,
	"anthropicapikey": true, "claudeapikey": true,
}

// sourceKey reads the key out of what a source printed: the output itself, a JSON string (jq
// without -r), or the one obvious key field of a JSON object (a whole secret document). What is
// a known way of printing nothing (null, None, an HTML error page) is refused with the reason.
func sourceKey(out string) (string, error) {
	s := strings.TrimSpace(out)
	if why, ok := emptyWords[s]; ok {
		return "", errors.New("it printed " + why)
	}
	switch {
	case strings.HasPrefix(s, "<"):
		return "", errors.New("it printed an HTML or XML page (an error page from a proxy or a login portal?), not the key")
	case strings.HasPrefix(s, "{"):
		v, err := keyFromJSONObject(s)
		if err != nil {
			return "", err
		}
		return sourceKey(v)
	case strings.HasPrefix(s, `"`):
		var v string
		if json.Unmarshal([]byte(s), &v) != nil {
			return "", errors.New("it printed a quoted string that is not valid JSON")
		}
		return sourceKey(v)
	}
	return out, nil
}

// keyFromJSONObject returns the one string field of obj, or its one field named like a key.
func keyFromJSONObject(s string) (string, error) {
	var obj map[string]any
	if json.Unmarshal([]byte(s), &obj) != nil {
		return "", errors.New("it printed something that starts like a JSON object but is not valid JSON")
	}
	var all, strs, named, empty []string
	for name, v := range obj {
		all = append(all, name)
		keyName := keyFieldNames[strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))]
		switch v.(type) {
		case string:
			strs = append(strs, name)
			if keyName {
				named = append(named, name)
			}
		case nil:
			if keyName {
				empty = append(empty, name)
			}
		}
	}
	for _, l := range [][]string{all, strs, named, empty} {
		sort.Strings(l)
	}
	switch {
	case len(strs) == 1:
		return obj[strs[0]].(string), nil
	case len(named) == 1:
		return obj[named[0]].(string), nil
	case len(named) > 1:
		return "", fmt.Errorf("it printed a JSON object with several fields that could be the key (%s); make it print only the key, e.g. with jq -r .%s", strings.Join(named, ", "), named[0])
	case len(empty) > 0:
		return "", fmt.Errorf("it printed a JSON object whose %s field is null; check the secret's field names", empty[0])
	}
	return "", fmt.Errorf("it printed a JSON object with no field that holds the key (fields: %s); make it print only the key, e.g. with jq -r .FIELD", fieldList(all))
}

// fieldList names at most eight fields: a huge document should not make a huge error.
func fieldList(names []string) string {
	if len(names) > 8 {
		return strings.Join(names[:8], ", ") + fmt.Sprintf(" and %d more", len(names)-8)
	}
	return strings.Join(names, ", ")
}
