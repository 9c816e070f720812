package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/schema"
)

// Bot Framework authentication constants.
const (
	// Issuer is the issuer of every token the Bot Connector sends.
	Issuer = "https://api.botframework.com"
	// DefaultOpenIDMetadataURL is Microsoft's OpenID metadata document for
	// tokens from the Bot Connector.
	DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	// ClockSkew is the leeway on exp and nbf.
	ClockSkew = 5 * time.Minute
	// KeyCacheTTL is how long the signing keys are trusted before they are
	// fetched again; an unknown kid fetches them sooner.
	KeyCacheTTL = 24 * time.Hour
	// MinKeyRefresh is the least time between two fetches caused by unknown
	// kids, so that a flood of forged tokens cannot turn into a flood of
	// fetches.
	MinKeyRefresh = time.Minute
)

// SigningMethods are the only algorithms accepted (Bot Framework's list).
var SigningMethods = []string{"RS256", "RS384", "RS512"}

// AuthError is a request that failed authentication. Handlers answer it
// with 401 and process nothing.
type AuthError struct{ Reason string }

func (e *AuthError) Error() string { return "teams auth: " + e.Reason }

func authFail(format string, a ...any) error { return &AuthError{Reason: fmt.Sprintf(format, a...)} }

// Validator checks the bearer token of every activity the Bot Connector
// sends: RS256/384/512 only, issuer Issuer, audience the app id, exp and nbf
// with ClockSkew, the serviceurl claim equal to the activity's serviceUrl,
// and the signing key endorsed for the activity's channelId. It implements
// msbotbuilder-go's auth.TokenValidator, replacing the library's own (which
// fetches the metadata on every request, has no endorsement check and races).
// It is safe for concurrent use.
type Validator struct {
	appID  string
	keys   *keyStore
	kf     keyfunc.Keyfunc
	parser *jwt.Parser
}

var _ auth.TokenValidator = (*Validator)(nil)

// ValidatorOption configures a Validator.
type ValidatorOption func(*keyStore)

// WithKeyHTTPClient fetches the metadata and keys with c (default: a client
// with a 10 s timeout).
func WithKeyHTTPClient(c *http.Client) ValidatorOption { return func(k *keyStore) { k.client = c } }

// WithValidatorClock sets the clock for token times and the key cache.
func WithValidatorClock(now func() time.Time) ValidatorOption {
	return func(k *keyStore) { k.now = now }
}

// NewValidator returns a Validator for the app id, with keys from the OpenID
// metadata document at metadataURL (empty: DefaultOpenIDMetadataURL). An
// empty app id is refused: Teams is then off, never unauthenticated.
func NewValidator(appID, metadataURL string, opts ...ValidatorOption) (*Validator, error) {
	if strings.TrimSpace(appID) == "" {
		return nil, errors.New("teams: an app id is required; without one Teams is off")
	}
	if metadataURL == "" {
		metadataURL = DefaultOpenIDMetadataURL
	}
	ks := &keyStore{
		MemoryJWKSet: jwkset.NewMemoryStorage(),
		metadataURL:  metadataURL,
		client:       &http.Client{Timeout: 10 * time.Second},
		now:          time.Now,
		endorsements: map[string][]string{},
	}
	for _, o := range opts {
		o(ks)
	}
	kf, err := keyfunc.New(keyfunc.Options{Storage: ks})
	if err != nil {
		return nil, fmt.Errorf("teams: key function: %w", err)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(SigningMethods),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(appID),
		jwt.WithLeeway(ClockSkew),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return ks.now() }),
	)
	return &Validator{appID: appID, keys: ks, kf: kf, parser: parser}, nil
}

// KeyFetches is how many times the signing keys were fetched.
func (v *Validator) KeyFetches() int64 { return v.keys.fetches.Load() }

// Validate checks the Authorization header of an activity from serviceURL on
// channelID and returns the token's claims. Every failure is an *AuthError.
func (v *Validator) Validate(ctx context.Context, authHeader, serviceURL, channelID string) (jwt.MapClaims, error) {
	raw, ok := strings.CutPrefix(strings.TrimSpace(authHeader), "Bearer ")
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return nil, authFail("no bearer token")
	}
	claims := jwt.MapClaims{}
	tok, err := v.parser.ParseWithClaims(raw, claims, v.keyFunc(ctx))
	if err != nil {
		return nil, authFail("%v", err)
	}
	if !tok.Valid {
		return nil, authFail("invalid token")
	}
	kid, _ := tok.Header["kid"].(string)
	if channelID == "" || !slices.Contains(v.keys.endorsed(kid), channelID) {
		return nil, authFail("signing key %q is not endorsed for channel %q", kid, channelID)
	}
	su, _ := claims["serviceurl"].(string)
	if su == "" || su != serviceURL {
		return nil, authFail("serviceurl claim %q does not match the activity's serviceUrl %q", su, serviceURL)
	}
	return claims, nil
}

// keyFunc requires a kid (so the key's endorsements are known) and asks the
// key store through keyfunc.
func (v *Validator) keyFunc(ctx context.Context) jwt.Keyfunc {
	inner := v.kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, errors.New("token has no kid")
		}
		return inner(t)
	}
}

// AuthenticateRequest implements auth.TokenValidator for msbotbuilder-go's
// adapter. The credentials and channel service are ignored: the app id was
// fixed when the Validator was made, and there is no way to switch
// authentication off.
func (v *Validator) AuthenticateRequest(ctx context.Context, act schema.Activity, authHeader string, _ auth.CredentialProvider, _ string) (auth.ClaimsIdentity, error) {
	claims, err := v.Validate(ctx, authHeader, act.ServiceURL, act.ChannelID)
	if err != nil {
		return nil, err
	}
	return claimsIdentity(claims), nil
}

// claimsIdentity is auth.ClaimsIdentity without the library's panic on a
// missing or non-string claim.
type claimsIdentity jwt.MapClaims

func (c claimsIdentity) GetClaimValue(name string) string {
	s, _ := c[name].(string)
	return s
}

func (c claimsIdentity) IsAuthenticated() bool { return true }

// Credentials is the adapter's credential provider. Authentication is never
// disabled, whatever the app id (msbotbuilder-go's SimpleCredentialProvider
// disables it for an empty one).
type Credentials struct{ AppID, Password string }

var _ auth.CredentialProvider = Credentials{}

// IsValidAppID reports whether id is this bot's app id.
func (c Credentials) IsValidAppID(id string) bool { return id != "" && id == c.AppID }

// GetAppPassword returns the app password.
func (c Credentials) GetAppPassword() string { return c.Password }

// GetAppID returns the app id.
func (c Credentials) GetAppID() string { return c.AppID }

// IsAuthenticationDisabled is always false.
func (c Credentials) IsAuthenticationDisabled() bool { return false }

// keyStore is a jwkset.Storage holding the Bot Framework signing keys with
// their endorsements (which jwkset drops). Keys are fetched on first use,
// again after KeyCacheTTL, and on an unknown kid at most every
// MinKeyRefresh; only one fetch runs at a time and callers waiting for it
// share its result.
type keyStore struct {
	*jwkset.MemoryJWKSet
	metadataURL string
	client      *http.Client
	now         func() time.Time
	fetches     atomic.Int64

	fetchMu sync.Mutex // held for the duration of a fetch

	mu           sync.Mutex // guards the fields below
	endorsements map[string][]string
	fetchedAt    time.Time // last successful fetch
	attemptedAt  time.Time // last fetch, successful or not
	generation   int64
}

func (k *keyStore) endorsed(kid string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.endorsements[kid]
}

// KeyRead returns the key with that id, fetching the keys when they are stale
// or the id is unknown.
func (k *keyStore) KeyRead(ctx context.Context, kid string) (jwkset.JWK, error) {
	k.mu.Lock()
	gen, fetched, attempted := k.generation, k.fetchedAt, k.attemptedAt
	k.mu.Unlock()
	now := k.now()
	// After a failed fetch, wait a little before the next one: a key server
	// that is down must not be asked once per incoming request.
	wait := MinKeyRefresh
	if fetched.IsZero() {
		wait = 10 * time.Second
	}
	mayFetch := attempted.IsZero() || now.Sub(attempted) >= wait
	if fetched.IsZero() || now.Sub(fetched) > KeyCacheTTL {
		if !mayFetch {
			if fetched.IsZero() {
				return jwkset.JWK{}, errors.New("signing keys are unavailable")
			}
		} else if err := k.refresh(ctx, gen); err != nil && fetched.IsZero() {
			return jwkset.JWK{}, err
		}
		// A failed refresh of stale keys keeps the old ones: Microsoft rotates
		// rarely and publishes new keys well before they sign.
		return k.MemoryJWKSet.KeyRead(ctx, kid)
	}
	key, err := k.MemoryJWKSet.KeyRead(ctx, kid)
	if !errors.Is(err, jwkset.ErrKeyNotFound) || !mayFetch {
		return key, err
	}
	if err := k.refresh(ctx, gen); err != nil {
		return jwkset.JWK{}, err
	}
	return k.MemoryJWKSet.KeyRead(ctx, kid)
}

// refresh fetches the keys unless another caller fetched them since
// generation gen was read.
func (k *keyStore) refresh(ctx context.Context, gen int64) error {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	k.mu.Lock()
	done := k.generation != gen
	k.mu.Unlock()
	if done {
		return nil
	}
	keys, endorse, err := k.fetch(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.generation++
	k.attemptedAt = k.now()
	if err != nil {
		return err
	}
	if err := k.MemoryJWKSet.KeyReplaceAll(ctx, keys); err != nil {
		return err
	}
	k.endorsements, k.fetchedAt = endorse, k.attemptedAt
	return nil
}

// fetch reads the metadata document, then the key set at its jwks_uri.
func (k *keyStore) fetch(ctx context.Context) ([]jwkset.JWK, map[string][]string, error) {
	k.fetches.Add(1)
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := k.getJSON(ctx, k.metadataURL, &meta); err != nil {
		return nil, nil, fmt.Errorf("openid metadata: %w", err)
	}
	if meta.JWKSURI == "" {
		return nil, nil, errors.New("openid metadata: no jwks_uri")
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := k.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return nil, nil, fmt.Errorf("signing keys: %w", err)
	}
	var keys []jwkset.JWK
	endorse := map[string][]string{}
	for _, raw := range set.Keys {
		var extra struct {
			Kid          string   `json:"kid"`
			Kty          string   `json:"kty"`
			Endorsements []string `json:"endorsements"`
		}
		if err := json.Unmarshal(raw, &extra); err != nil || extra.Kid == "" || extra.Kty != "RSA" {
			continue
		}
		jwk, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			continue // one malformed key must not take the others down
		}
		keys = append(keys, jwk)
		endorse[extra.Kid] = extra.Endorsements
	}
	if len(keys) == 0 {
		return nil, nil, errors.New("signing keys: no usable RSA key")
	}
	return keys, endorse, nil
}

func (k *keyStore) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
