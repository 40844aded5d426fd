//go:build linux

package testenv

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// KeePassXC is KeePassXC (the Debian package, 2.7) serving the Secret Service on an Env's bus
// from a throwaway database, under the Env's Xvfb, with its own config file: its FdoSecrets
// integration on, one group exposed to the Secret Service and, when asked, "confirm access"
// on, so that a client that did not create an item gets the "Access Request" dialog before it
// may read or replace it.
type KeePassXC struct {
	Proc *Proc
	// DB is the database file; Config the keepassxc.ini it runs with.
	DB, Config string
	// Collection is the database's collection on the bus (KeePassXC names it after the file).
	Collection dbus.ObjectPath

	env      *Env
	password string
}

// KeePassXCOptions are the FdoSecrets settings a test chooses.
type KeePassXCOptions struct {
	// ConfirmAccess is KeePassXC's "Confirm when passwords are retrieved by clients" (its
	// default): every client process must be allowed in a dialog before it may read or replace
	// an item it did not create.
	ConfirmAccess bool
}

// AccessDialogTitle is the window title of KeePassXC's confirmation dialog (AccessControlDialog).
const AccessDialogTitle = "KeePassXC -  Access Request"

// The exposed group's name in the database.
const keepassxcGroup = "Secret Service"

// StartKeePassXC creates a database (a KeePass XML document imported with keepassxc-cli,
// because the exposed group is a setting kept in the database's Meta/CustomData, which no
// keepassxc-cli command sets), starts KeePassXC on the Env's bus and display (starting both
// if needed) with the database unlocked through --pw-stdin, and waits until it owns
// org.freedesktop.secrets and its collection is unlocked. No other Secret Service may run on
// the bus. It is stopped in cleanup.
func (e *Env) StartKeePassXC(t testing.TB, opt KeePassXCOptions) *KeePassXC {
	t.Helper()
	Require(t, "keepassxc", "keepassxc-cli", "Xvfb", "xdotool")
	e.StartBus(t)
	e.StartX(t)
	if e.NameHasOwner(t, "org.freedesktop.secrets") {
		t.Fatalf("testenv: another Secret Service already owns org.freedesktop.secrets on this bus")
	}
	dir := filepath.Join(e.Dir, "keepassxc")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatalf("testenv: create %s: %v", dir, err)
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	k := &KeePassXC{
		DB:         filepath.Join(dir, "keytray.kdbx"),
		Config:     filepath.Join(dir, "keepassxc.ini"),
		Collection: "/org/freedesktop/secrets/collection/keytray",
		env:        e,
		password:   hex.EncodeToString(b),
	}
	xmlPath := filepath.Join(dir, "db.xml")
	if err := os.WriteFile(xmlPath, []byte(keepassxcXML()), 0o600); err != nil {
		t.Fatalf("testenv: write %s: %v", xmlPath, err)
	}
	// import asks for the new password twice; -t 100 keeps the key derivation (and so the
	// unlock at start and every keepassxc-cli read) at about 0.1 s.
	r := e.Exec(t, k.password+"\n"+k.password+"\n", "keepassxc-cli", "import", "-q", "-p", "-t", "100", xmlPath, k.DB)
	if r.ExitCode != 0 {
		t.Fatalf("testenv: keepassxc-cli import failed (exit %d): %s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	os.Remove(xmlPath)
	if err := os.WriteFile(k.Config, []byte(keepassxcINI(opt)), 0o600); err != nil {
		t.Fatalf("testenv: write %s: %v", k.Config, err)
	}

	cmd := exec.Command("keepassxc", "--config", k.Config, "--localconfig", filepath.Join(dir, "keepassxc_local.ini"), "--pw-stdin", k.DB)
	cmd.Env = append(e.Environ(), "QT_QPA_PLATFORM=xcb", "QT_ACCESSIBILITY=0")
	cmd.Dir = e.Home()
	cmd.Stdin = strings.NewReader(k.password + "\n")
	p := &Proc{Cmd: cmd, name: "keepassxc", done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	p.start(t)
	k.Proc = p

	e.WaitForName(t, "org.freedesktop.secrets", true, 60*time.Second, p)
	// The name is taken before the database is unlocked and its collection exported.
	deadline := time.Now().Add(60 * time.Second)
	for {
		locked, err := e.BusConn(t).Object("org.freedesktop.secrets", k.Collection).
			GetProperty("org.freedesktop.Secret.Collection.Locked")
		if err == nil && locked.Value() == false {
			return k
		}
		if p.Exited() {
			t.Fatalf("testenv: keepassxc exited during start:\n%s", p)
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: KeePassXC's collection %s is not unlocked after 60s (last: %v, %v):\n%s", k.Collection, locked, err, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keepassxcINI is a keepassxc.ini with nothing that would open a window of its own (update
// check, remembered databases, a second instance hand-off) and the FdoSecrets settings.
func keepassxcINI(opt KeePassXCOptions) string {
	return fmt.Sprintf(`[General]
ConfigVersion=2
SingleInstance=false
RememberLastDatabases=false
RememberLastKeyFiles=false
OpenPreviousDatabasesOnStartup=false
UpdateCheckMessageShown=true
AutoSaveAfterEveryChange=true
AutoReloadOnChange=false
BackupBeforeSave=false

[GUI]
CheckForUpdates=false
ShowTrayIcon=false
ShowExpiredEntriesOnDatabaseUnlock=false

[Security]
LockDatabaseIdle=false
LockDatabaseScreenLock=false
QuickUnlock=false

[FdoSecrets]
Enabled=true
ShowNotification=false
ConfirmAccessItem=%t
ConfirmDeleteItem=true
UnlockBeforeSearch=true
`, opt.ConfirmAccess)
}

// keepassxcXML is the database as a KeePass XML document: a root group, the group exposed to
// the Secret Service, and FDO_SECRETS_EXPOSED_GROUP in Meta/CustomData naming it (a QUuid
// string; the group's UUID element is the same 16 bytes in base64).
func keepassxcXML() string {
	root, group := make([]byte, 16), make([]byte, 16)
	_, _ = rand.Read(root)
	_, _ = rand.Read(group)
	h := hex.EncodeToString(group)
	quuid := "{" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + "}"
	return `<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<KeePassFile>
 <Meta>
  <Generator>claude-keytray tests</Generator>
  <DatabaseName>claude-keytray tests</DatabaseName>
  <RecycleBinEnabled>False</RecycleBinEnabled>
  <CustomData>
   <Item><Key>FDO_SECRETS_EXPOSED_GROUP</Key><Value>` + quuid + `</Value></Item>
  </CustomData>
 </Meta>
 <Root>
  <Group>
   <UUID>` + base64.StdEncoding.EncodeToString(root) + `</UUID>
   <Name>Root</Name>
   <Group>
    <UUID>` + base64.StdEncoding.EncodeToString(group) + `</UUID>
    <Name>` + keepassxcGroup + `</Name>
   </Group>
  </Group>
 </Root>
</KeePassFile>
`
}

// Stored reads the claude-keytray items from the database file with keepassxc-cli (an
// export, not the Secret Service, so no dialog is involved): the password of every entry with
// the attributes go-keyring gives it, in database order. KeePassXC saves after every change;
// call it after the change has been confirmed.
func (k *KeePassXC) Stored(t testing.TB) []string {
	t.Helper()
	r := k.env.Exec(t, k.password+"\n", "keepassxc-cli", "export", "-q", "-f", "xml", k.DB)
	if r.ExitCode != 0 {
		t.Fatalf("testenv: keepassxc-cli export failed (exit %d): %s", r.ExitCode, r.Stderr)
	}
	var doc struct {
		Entries []struct {
			Strings []struct {
				Key   string `xml:"Key"`
				Value string `xml:"Value"`
			} `xml:"String"`
		} `xml:"Root>Group>Group>Entry"`
	}
	if err := xml.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("testenv: keepassxc-cli export: %v", err)
	}
	var out []string
	for _, e := range doc.Entries {
		f := map[string]string{}
		for _, s := range e.Strings {
			f[s.Key] = s.Value
		}
		if f[keyringServiceAttr] == KeyringService && f[keyringAccountAttr] == KeyringAccount {
			out = append(out, f["Password"])
		}
	}
	return out
}

// WaitStored waits until the database file holds exactly one claude-keytray item with the
// secret want: KeePassXC writes the file a moment after it answers on the bus.
func (k *KeePassXC) WaitStored(t testing.TB, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := k.Stored(t)
		if len(got) == 1 && got[0] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: the KeePassXC database does not hold the expected key after %v (%d claude-keytray items)", timeout, len(got))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// AccessDialogs lists the visible "Access Request" windows KeePassXC shows now.
func (k *KeePassXC) AccessDialogs(t testing.TB) []string {
	t.Helper()
	r := k.env.Exec(t, "", "xdotool", "search", "--onlyvisible", "--name", "Access Request")
	// xdotool search exits 1 when nothing matches.
	if r.ExitCode != 0 && r.ExitCode != 1 {
		t.Fatalf("testenv: xdotool search failed (exit %d): %s", r.ExitCode, r.Stderr)
	}
	return strings.Fields(r.Stdout)
}

// WaitAccessDialog waits until exactly one Access Request dialog is shown and returns it; a
// second one at the same time fails the test.
func (k *KeePassXC) WaitAccessDialog(t testing.TB, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		switch ws := k.AccessDialogs(t); len(ws) {
		case 0:
		case 1:
			return ws[0]
		default:
			t.Fatalf("testenv: %d KeePassXC Access Request dialogs at once: %v", len(ws), ws)
		}
		if k.Proc.Exited() {
			t.Fatalf("testenv: keepassxc exited:\n%s", k.Proc)
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: no KeePassXC Access Request dialog within %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Allow answers an Access Request dialog the way a person would: focus it and press Enter,
// which is its default button, "Allow Selected" (with "Remember" ticked, as it is by default:
// the client keeps access while it and KeePassXC run).
func (k *KeePassXC) Allow(t testing.TB, win string) { k.answer(t, win, "Return") }

// Deny closes an Access Request dialog with Escape, as a person dismissing it would: the
// client is not allowed and its request ends as dismissed.
func (k *KeePassXC) Deny(t testing.TB, win string) { k.answer(t, win, "Escape") }

func (k *KeePassXC) answer(t testing.TB, win, key string) {
	t.Helper()
	// There is no window manager: focus the window directly, then type into it.
	if r := k.env.Exec(t, "", "xdotool", "windowfocus", "--sync", win); r.ExitCode != 0 {
		t.Fatalf("testenv: xdotool windowfocus %s failed: %s", win, r.Stderr)
	}
	if r := k.env.Exec(t, "", "xdotool", "key", "--clearmodifiers", key); r.ExitCode != 0 {
		t.Fatalf("testenv: xdotool key %s failed: %s", key, r.Stderr)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		still := false
		for _, w := range k.AccessDialogs(t) {
			still = still || w == win
		}
		if !still {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: the Access Request dialog %s is still shown 10s after %s", win, key)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
