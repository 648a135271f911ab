// Package auth holds identities' secrets and rules: argon2id password
// hashing and the password policy, login throttling, random session ids,
// CSRF and API tokens (stored only as hashes), and the access policies that
// every route declares.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/ketacare/ketacare"
)

// Argon2id parameters: OWASP's minimum (19 MiB, 2 iterations, 1 lane).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	saltLen        = 16
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

//go:embed common-passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonPasswordList, "\n") {
		if l = strings.TrimSpace(strings.ToLower(l)); l != "" && !strings.HasPrefix(l, "#") {
			m[l] = true
		}
	}
	return m
}()

// CheckPassword applies the policy: at least 12 characters, at most 256,
// and not a commonly used password (nor one made only of the account's
// email name). No composition rules.
func CheckPassword(password, email string) error {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	switch {
	case n < MinPasswordLength:
		return fieldErr("Password must be at least 12 characters.")
	case n > 256:
		return fieldErr("Password must be 256 characters or fewer.")
	case commonPasswords[lower] || commonPasswords[strings.TrimRight(lower, "0123456789!")]:
		return fieldErr("This password is too common. Choose another, for example three or four unrelated words.")
	case local != "" && strings.Contains(lower, local) && len(lower)-len(local) < 6:
		return fieldErr("Password must not be based on the email address.")
	}
	return nil
}

func fieldErr(msg string) error {
	return &ketacare.Error{Code: ketacare.EINVALID, Message: msg, Fields: map[string]string{"password": msg}}
}

// HashPassword returns an encoded argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is checked against when an account does not exist, so an unknown
// account costs the same time as a wrong password.
var dummyHash, _ = HashPassword("ketacare dummy password for timing")

// VerifyPassword reports whether password matches the encoded hash. An
// empty or malformed hash is verified against a dummy, taking the same time,
// and never matches.
func VerifyPassword(password, encoded string) bool {
	var v, mem, t int
	var p int
	var salt64, key64 string
	parts := strings.Split(encoded, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &v)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p)
		salt64, key64 = parts[4], parts[5]
		ok = err1 == nil && err2 == nil && mem > 0 && t > 0 && p > 0 && p < 256
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(salt64)
	want, err2 := base64.RawStdEncoding.DecodeString(key64)
	if !ok || err1 != nil || err2 != nil || len(want) == 0 {
		VerifyPassword(password, dummyHash)
		return false
	}
	got := argon2.IDKey([]byte(password), salt, uint32(t), uint32(mem), uint8(p), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// RandomToken returns n random bytes, URL-safe base64 encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: reading random bytes: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a session id or bearer token: what
// the database keeps, so that a copy of it grants no access.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// APITokenPrefix starts every bearer token, so a leaked one is easy to spot.
const APITokenPrefix = "kc_"

// NewAPIToken returns a fresh bearer token (256 random bits).
func NewAPIToken() string { return APITokenPrefix + RandomToken(32) }

// NewSessionID returns a fresh session id (128 random bits).
func NewSessionID() string { return RandomToken(16) }

// EqualTokens compares two secrets in constant time.
func EqualTokens(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
