package auth

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// othersMay reports path when it belongs to someone else, or when its access list lets someone
// other than the user, SYSTEM and the administrators change it (forbidden's write bits) or,
// for a file that holds a secret, read it. Windows has no mode bits: Go reports 0666 or 0777 for
// every file, which says nothing. A file without a secret that others can read (the helper,
// the state folder) is no problem here, as a Windows profile's files often are.
func othersMay(path string, forbidden fs.FileMode, what string, secret bool) (problem, fix string) {
	if _, err := os.Stat(path); err != nil {
		return "", ""
	}
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Sprintf("cannot read the access list of %s %s: %v", what, path, err), "check the file's owner and permissions in its Properties, Security tab"
	}
	me, err := currentUserSID()
	if err != nil {
		return "", ""
	}
	owner, _, err := sd.Owner()
	if err == nil && owner != nil && !trusted(owner, me) {
		return fmt.Sprintf("%s %s belongs to %s, not to you", what, path, sidName(owner)), fmt.Sprintf("takeown /F %q", path)
	}
	const writes = windows.GENERIC_WRITE | windows.GENERIC_ALL | windows.WRITE_DAC | windows.WRITE_OWNER | windows.DELETE | windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA
	var deny windows.ACCESS_MASK
	if forbidden&0o022 != 0 {
		deny |= writes
	}
	if secret && forbidden&0o044 != 0 {
		deny |= windows.GENERIC_READ | windows.GENERIC_ALL | windows.FILE_READ_DATA
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return "", ""
	}
	if dacl == nil {
		return fmt.Sprintf("%s %s has no access list: everyone may read and change it", what, path), fmt.Sprintf("run icacls \"%s\" /inheritance:r /grant:r \"%%USERNAME%%:F\"", path)
	}
	var who, sids []string
	change := false
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if windows.GetAce(dacl, i, &ace) != nil {
			continue
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 || ace.Mask&deny == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if trusted(sid, me) {
			continue
		}
		who = append(who, sidName(sid))
		change = change || ace.Mask&writes != 0
		sids = append(sids, "*"+sid.String())
	}
	if len(who) == 0 {
		return "", ""
	}
	verb := "read"
	if change {
		verb = "change"
	}
	return fmt.Sprintf("%s %s lets %s %s it", what, path, strings.Join(who, ", "), verb), fmt.Sprintf("run icacls \"%s\" /remove:g %s", path, strings.Join(sids, " "))
}

// trusted: the user, SYSTEM and the administrators may always reach the user's files.
func trusted(sid, me *windows.SID) bool {
	return sid.Equals(me) || sid.IsWellKnown(windows.WinLocalSystemSid) || sid.IsWellKnown(windows.WinBuiltinAdministratorsSid)
}

func currentUserSID() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, err
	}
	return u.User.Sid, nil
}

// sidName is DOMAIN\name for a SID, or the SID itself.
func sidName(sid *windows.SID) string {
	name, domain, _, err := sid.LookupAccount("")
	if err != nil {
		return sid.String()
	}
	if domain == "" {
		return name
	}
	return domain + `\` + name
}
