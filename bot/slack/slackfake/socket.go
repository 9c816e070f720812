package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// MethodSocketAck is the Call.Method of an acknowledgement received over
// Socket Mode; Params holds envelope_id and Body the ack's payload (empty
// when it had none).
const MethodSocketAck = "socket.ack"

const socketPath = "/socket"

// socketState is the Socket Mode side of the fake; guarded by Server.mu.
type socketState struct {
	appToken    string
	conn        *socketConn
	connected   chan struct{} // closed and replaced when a connection opens
	connections int
	envelopes   int
}

// socketConn serialises writes: a WebSocket allows one writer at a time.
type socketConn struct {
	mu sync.Mutex
	ws *websocket.Conn
}

func (c *socketConn) write(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

// EnableSocketMode makes apps.connections.open accept the app-level token
// and answer with the URL of a Socket Mode WebSocket this server runs.
func (s *Server) EnableSocketMode(appToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.socket.appToken = appToken
}

// SocketConnections counts the Socket Mode connections opened so far.
func (s *Server) SocketConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.socket.connections
}

// SocketSend sends a Socket Mode request of type typ ("events_api",
// "slash_commands" or "interactive") carrying payload, once a client is
// connected, and returns its envelope id.
func (s *Server) SocketSend(ctx context.Context, typ string, payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	for {
		s.mu.Lock()
		conn, connected := s.socket.conn, s.socketConnected()
		if conn != nil {
			s.socket.envelopes++
		}
		id := fmt.Sprintf("env-%04d", s.socket.envelopes)
		s.mu.Unlock()
		if conn != nil {
			msg := map[string]any{"envelope_id": id, "type": typ, "payload": json.RawMessage(body),
				"accepts_response_payload": typ != "events_api", "retry_attempt": 0, "retry_reason": ""}
			if err := conn.write(msg); err != nil {
				return "", fmt.Errorf("slackfake: socket send: %w", err)
			}
			return id, nil
		}
		select {
		case <-connected:
		case <-ctx.Done():
			return "", fmt.Errorf("slackfake: no Socket Mode client connected: %w", ctx.Err())
		}
	}
}

// SocketAck waits for the acknowledgement of an envelope and returns its
// payload (nil when the ack carried none).
func (s *Server) SocketAck(ctx context.Context, envelopeID string) (json.RawMessage, error) {
	for n := 1; ; n++ {
		calls, err := s.WaitCalls(ctx, MethodSocketAck, n)
		if err != nil {
			return nil, err
		}
		for _, c := range calls {
			if c.Params.Get("envelope_id") == envelopeID {
				return c.Body, nil
			}
		}
	}
}

// DropSocket closes the current Socket Mode connection without warning, as
// a network failure would; a client should connect again.
func (s *Server) DropSocket() {
	s.mu.Lock()
	conn := s.socket.conn
	s.socket.conn = nil
	s.mu.Unlock()
	if conn != nil {
		_ = conn.ws.Close()
	}
}

// socketConnected returns the channel closed at the next connection; s.mu is held.
func (s *Server) socketConnected() chan struct{} {
	if s.socket.connected == nil {
		s.socket.connected = make(chan struct{})
	}
	return s.socket.connected
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveSocket runs one Socket Mode connection: hello, then pings, and
// every message from the client recorded as an acknowledgement.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn := &socketConn{ws: ws}
	defer ws.Close()
	if err := conn.write(map[string]any{"type": "hello", "num_connections": 1,
		"debug_info": map[string]any{"host": "slackfake"}, "connection_info": map[string]any{"app_id": "A0APP"}}); err != nil {
		return
	}
	s.mu.Lock()
	s.socket.conn = conn
	s.socket.connections++
	close(s.socketConnected())
	s.socket.connected = make(chan struct{})
	s.mu.Unlock()

	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-s.closing:
				_ = ws.Close()
				return
			case <-t.C:
				_ = ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			}
		}
	}()
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := ws.ReadJSON(&ack); err != nil {
			s.mu.Lock()
			if s.socket.conn == conn {
				s.socket.conn = nil
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: MethodSocketAck, Params: url.Values{"envelope_id": {ack.EnvelopeID}},
			Body: ack.Payload, At: time.Now()})
		close(s.arrived)
		s.arrived = make(chan struct{})
		s.mu.Unlock()
	}
}
