package bot

// DigestPost is the monthly digest as a leadership channel post: what a
// platform's PostDigest needs, in plain values.
type DigestPost struct {
	Title   string
	Summary string // plain lines, outside text: each platform escapes it
	// Language is the digest's (digest.language): the post's own labels
	// are in it.
	Language   string
	ChartPNG   []byte
	ReportHTML []byte
	// ReportURL is the signed link to the full report on the service;
	// empty when there is none.
	ReportURL string
}
