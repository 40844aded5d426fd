package auth

import "fmt"

// Unconfirmed says in a person's words why a check gave no answer about the key: the API was
// busy, limited requests or could not be reached. The HTTP status and the API's message stay in
// Validation for the log and status --json.
func (v Validation) Unconfirmed() string {
	switch {
	case v.HTTPStatus == 429:
		return "the API is limiting requests right now"
	case v.HTTPStatus == 529 || v.HTTPStatus >= 500:
		return "the API is busy or down right now"
	case v.HTTPStatus != 0:
		return "the API gave an answer that says nothing about the key"
	}
	return "the API could not be reached"
}

// Technical is the check's outcome in log words: the HTTP status and the API's message.
func (v Validation) Technical() string {
	switch {
	case v.HTTPStatus != 0 && v.Detail != "":
		return fmt.Sprintf("HTTP %d: %s", v.HTTPStatus, v.Detail)
	case v.HTTPStatus != 0:
		return fmt.Sprintf("HTTP %d", v.HTTPStatus)
	}
	return v.Detail
}
