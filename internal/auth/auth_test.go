package auth

import (
	"strings"
	"testing"

	"github.com/ketacare/ketacare"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash does not use argon2id with m>=19MiB, t>=2: %s", h)
	}
	if !VerifyPassword("correct horse battery", h) {
		t.Error("right password refused")
	}
	if VerifyPassword("correct horse batterz", h) {
		t.Error("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=0,t=0,p=0$$", "plain"} {
		if VerifyPassword("x", bad) {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		ok   bool
		want string
	}{
		{"short pass", false, "at least 12"},
		{"abcdefghijk", false, "at least 12"},
		{"abcdefghijkl", false, "too common"},
		{"password1234", false, "too common"},
		{"PASSWORD1234", false, "too common"},
		{"qwertyuiop123", false, "too common"},
		{"ketamine1234", false, "too common"},
		{"ada.lovelace12", false, "email"},
		{"plum violin copper kettle", true, ""},
		{"zzzzzzzzzzzq", true, ""},
	} {
		err := CheckPassword(tc.pw, "ada.lovelace@example.com")
		if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v containing %q", tc.pw, err, tc.ok, tc.want)
		}
	}
}

func TestPolicy(t *testing.T) {
	var zero Policy
	if zero.Defined() {
		t.Error("zero policy counts as defined")
	}
	if !Public.Allows(ketacare.RoleNurse) || !Public.IsPublic() {
		t.Error("public policy")
	}
	if Clinical.Allows(ketacare.RoleCounsellor) || !Clinical.Allows(ketacare.RoleNurse) {
		t.Error("clinical policy")
	}
	if Staff.Allows(ketacare.RolePatient) {
		t.Error("staff policy lets a patient in")
	}
}

func TestTokens(t *testing.T) {
	a, b := NewSessionID(), NewSessionID()
	if a == b || len(a) != 22 {
		t.Errorf("session ids %q %q: want distinct 128-bit ids", a, b)
	}
	if !strings.HasPrefix(NewAPIToken(), APITokenPrefix) {
		t.Error("token prefix")
	}
	if HashToken(a) == a || len(HashToken(a)) != 64 {
		t.Error("token hash")
	}
}
