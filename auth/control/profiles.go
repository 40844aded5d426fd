package control

import (
	"context"
	"net/http"

	"github.com/claude-keytray/claude-keytray/auth"
)

// ProfileEngine is what the server needs from an engine with profiles (*auth.Fleet). An engine
// without it serves the profile "default" only.
type ProfileEngine interface {
	ProfileStatus(name string) (auth.Status, error)
	RefreshProfile(ctx context.Context, name string, req auth.RefreshRequest) (auth.Status, error)
	UpdateProfileKey(ctx context.Context, name, raw string, opt auth.UpdateOptions) (auth.Status, error)
	KeyForProfile(ctx context.Context, name string, keyPID int) (auth.Key, error)
	ReportProfileAuthFailure(ctx context.Context, name, origin string) (auth.Status, error)
	ProfileForPID(keyPID int) string
	List() auth.ProfileList
}

// profileOf reads the profile a request names, from the query or the body's field (they must
// agree). "" means none was named. A name that cannot be a profile is refused without echoing
// it; one the engine does not have is refused by the handler with CodeUnknownProfile.
func (s *Server) profileOf(w http.ResponseWriter, r *http.Request, fromBody string) (string, bool) {
	name := r.URL.Query().Get(ProfileParam)
	if fromBody != "" {
		if name != "" && name != fromBody {
			writeError(w, http.StatusBadRequest, CodeBadProfile, "the query and the body name different profiles")
			return "", false
		}
		name = fromBody
	}
	if name == "" {
		return "", true
	}
	if auth.CheckProfileName(name) != nil {
		writeError(w, http.StatusBadRequest, CodeBadProfile, "a profile name is 1 to 32 lower-case letters, digits, '.', '_' or '-'")
		return "", false
	}
	if _, isFleet := s.eng.(ProfileEngine); !isFleet {
		if name != auth.DefaultProfile {
			writeError(w, http.StatusNotFound, CodeUnknownProfile, (&auth.UnknownProfileError{Name: name, Known: []string{auth.DefaultProfile}}).Error())
			return "", false
		}
		return "", true
	}
	return name, true
}

func (s *Server) writeProfileResult(w http.ResponseWriter, st auth.Status, err error) {
	if err != nil {
		writeError(w, http.StatusNotFound, CodeUnknownProfile, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleProfiles(w http.ResponseWriter, r *http.Request) {
	if pe, isFleet := s.eng.(ProfileEngine); isFleet {
		writeJSON(w, http.StatusOK, pe.List())
		return
	}
	writeJSON(w, http.StatusOK, auth.ListOf(s.eng.Status(), auth.Config{}))
}
