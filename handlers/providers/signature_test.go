package providers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// vectorBody is the 11-byte body the Delighted and Typeform vectors sign.
var vectorBody = []byte(`{"score":9}`)

func headerWith(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestVerifyDelighted(t *testing.T) {
	const secret = "dl_test_api_key"
	// HMAC-SHA256 of vectorBody under secret, hex, as Delighted sends it.
	const vector = "sha256=e8410ccaa035da741ed56dc838482d77058400f3e26b80254014f2fe738c5f29"
	mac := hmac.New(sha256.New, []byte("another_key"))
	mac.Write(vectorBody)
	otherKey := "sha256=" + hex.EncodeToString(mac.Sum(nil))

	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		want   error
	}{
		{"documented vector", secret, headerWith(HeaderDelighted, vector), vectorBody, nil},
		{"upper-case hex", secret, headerWith(HeaderDelighted, "sha256=E8410CCAA035DA741ED56DC838482D77058400F3E26B80254014F2FE738C5F29"), vectorBody, nil},
		{"tampered body", secret, headerWith(HeaderDelighted, vector), []byte(`{"score":0}`), ErrBadSignature},
		{"trailing newline", secret, headerWith(HeaderDelighted, vector), append(append([]byte{}, vectorBody...), '\n'), ErrBadSignature},
		{"wrong secret", "dl_other_key", headerWith(HeaderDelighted, vector), vectorBody, ErrBadSignature},
		{"signed with another key", secret, headerWith(HeaderDelighted, otherKey), vectorBody, ErrBadSignature},
		{"missing header", secret, http.Header{}, vectorBody, ErrMissingSignature},
		{"empty header", secret, headerWith(HeaderDelighted, " "), vectorBody, ErrMissingSignature},
		{"other algorithm", secret, headerWith(HeaderDelighted, "sha1=e8410ccaa035da741ed56dc838482d77058400f3e26b80254014f2fe738c5f29"), vectorBody, ErrBadSignature},
		{"no algorithm", secret, headerWith(HeaderDelighted, "e8410ccaa035da741ed56dc838482d77058400f3e26b80254014f2fe738c5f29"), vectorBody, ErrBadSignature},
		{"not hex", secret, headerWith(HeaderDelighted, "sha256=zz"), vectorBody, ErrBadSignature},
		{"base64 instead of hex", secret, headerWith(HeaderDelighted, "sha256=6EEMyqA12nQe1W3IOEgtdwWEAPPia4AlQBTy/nOMXyk="), vectorBody, ErrBadSignature},
		{"no secret configured", "", headerWith(HeaderDelighted, vector), vectorBody, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyDelighted(tt.secret, tt.header, tt.body)
			checkErr(t, err, tt.want)
		})
	}
}

func TestVerifyTypeform(t *testing.T) {
	const secret = "tf_test_secret"
	// HMAC-SHA256 of vectorBody under secret, base64, as Typeform sends it.
	const vector = "sha256=HK12CnGkm5b6/OzdK+xTsFc3cvcaGOQnYGm9XhggxpM="

	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		want   error
	}{
		{"documented vector", secret, headerWith(HeaderTypeform, vector), vectorBody, nil},
		{"tampered body", secret, headerWith(HeaderTypeform, vector), []byte(`{"score":1}`), ErrBadSignature},
		{"wrong secret", "tf_other_secret", headerWith(HeaderTypeform, vector), vectorBody, ErrBadSignature},
		{"missing header", secret, http.Header{}, vectorBody, ErrMissingSignature},
		{"other algorithm", secret, headerWith(HeaderTypeform, "sha1=HK12CnGkm5b6/OzdK+xTsFc3cvcaGOQnYGm9XhggxpM="), vectorBody, ErrBadSignature},
		{"no prefix", secret, headerWith(HeaderTypeform, "HK12CnGkm5b6/OzdK+xTsFc3cvcaGOQnYGm9XhggxpM="), vectorBody, ErrBadSignature},
		{"hex instead of base64", secret, headerWith(HeaderTypeform, "sha256=1cad760a71a49b96fafcecdd2bec53b0573772f71a18e4276069bd5e1820c693"), vectorBody, ErrBadSignature},
		{"url-safe base64", secret, headerWith(HeaderTypeform, "sha256=HK12CnGkm5b6_OzdK-xTsFc3cvcaGOQnYGm9XhggxpM="), vectorBody, ErrBadSignature},
		{"truncated", secret, headerWith(HeaderTypeform, "sha256=HK12CnGkm5b6"), vectorBody, ErrBadSignature},
		{"no secret configured", "", headerWith(HeaderTypeform, vector), vectorBody, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, VerifyTypeform(tt.secret, tt.header, tt.body), tt.want)
		})
	}
}

func TestVerifyStandardWebhook(t *testing.T) {
	// The Standard Webhooks specification's published vector
	// (its Go library's TestWebhookSign).
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		msgID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	body := []byte(`{"test": 2432232314}`)
	at := time.Unix(1614265330, 0)
	hdr := func(id, ts, sig string) http.Header {
		return headerWith(HeaderWebhookID, id, HeaderWebhookTimestamp, ts, HeaderWebhookSignature, sig)
	}
	// sign computes a v1 entry independently of the code under test's key
	// handling, for deliveries the vector does not cover.
	sign := func(secretB64, id, ts string, body []byte) string {
		key, err := base64.StdEncoding.DecodeString(secretB64)
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	otherSecret := base64.StdEncoding.EncodeToString([]byte("another secret of 24 bytes"))
	future := strconv.FormatInt(at.Unix()+301, 10)
	// An extreme timestamp chosen so that now-ts wraps to math.MinInt64.
	wrap := strconv.FormatInt(at.Unix()-(1<<62)-(1<<62), 10)

	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"published vector", secret, hdr(msgID, ts, sig), body, at, nil},
		{"secret without whsec_ prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", hdr(msgID, ts, sig), body, at, nil},
		{"received 5 minutes later", secret, hdr(msgID, ts, sig), body, at.Add(5 * time.Minute), nil},
		{"clock 5 minutes behind", secret, hdr(msgID, ts, sig), body, at.Add(-5 * time.Minute), nil},
		{"stale by one second", secret, hdr(msgID, ts, sig), body, at.Add(5*time.Minute + time.Second), ErrStaleTimestamp},
		{"stale by a day", secret, hdr(msgID, ts, sig), body, at.Add(24 * time.Hour), ErrStaleTimestamp},
		{"future by more than 5 minutes", secret, hdr(msgID, future, sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", msgID, future, body)), body, at, ErrStaleTimestamp},
		{"timestamp that wraps around", secret, hdr(msgID, wrap, sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", msgID, wrap, body)), body, at, ErrStaleTimestamp},
		{"rotated keys: second entry matches", secret, hdr(msgID, ts, sign(otherSecret, msgID, ts, body)+" "+sig), body, at, nil},
		{"unknown version skipped", secret, hdr(msgID, ts, "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= "+sig), body, at, nil},
		{"malformed entry skipped", secret, hdr(msgID, ts, "v1,!!! "+sig), body, at, nil},
		{"right digest, wrong version", secret, hdr(msgID, ts, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), body, at, ErrBadSignature},
		{"no version", secret, hdr(msgID, ts, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), body, at, ErrBadSignature},
		{"tampered body", secret, hdr(msgID, ts, sig), []byte(`{"test": 2432232315}`), at, ErrBadSignature},
		{"wrong secret", "whsec_" + otherSecret, hdr(msgID, ts, sig), body, at, ErrBadSignature},
		{"other id", secret, hdr("msg_other", ts, sig), body, at, ErrBadSignature},
		{"other timestamp in window", secret, hdr(msgID, "1614265331", sig), body, at, ErrBadSignature},
		{"id with a dot", secret, hdr("msg.1", ts, sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg.1", ts, body)), body, at, ErrBadSignature},
		{"timestamp not unix seconds", secret, hdr(msgID, "2021-02-25T15:02:10Z", sig), body, at, ErrBadSignature},
		{"missing webhook-id", secret, hdr("", ts, sig), body, at, ErrMissingSignature},
		{"missing webhook-timestamp", secret, hdr(msgID, "", sig), body, at, ErrMissingSignature},
		{"missing webhook-signature", secret, hdr(msgID, ts, ""), body, at, ErrMissingSignature},
		{"no headers", secret, http.Header{}, body, at, ErrMissingSignature},
		{"no secret configured", "", hdr(msgID, ts, sig), body, at, ErrNoSecret},
		{"secret not base64", "whsec_not*base64", hdr(msgID, ts, sig), body, at, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, VerifyStandardWebhook(tt.secret, tt.header, tt.body, tt.now), tt.want)
		})
	}
}

func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("got error %v, want none", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("got error %v, want %v", err, want)
	}
}
