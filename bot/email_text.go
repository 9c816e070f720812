package bot

// Sentences of the card and its forms about emailing the customer, in one
// place for the message catalogs.
const (
	TextEmailDraft      = "Email to the customer (sent when you choose Email)"
	TextEmailSubject    = "Subject"
	TextEmailBody       = "Message"
	TextTellByEmail     = "Tell the customer by email"
	TextTellByEmailHint = "The resolution message in their language, with your note as what was done"
	TextUnsubscribed    = "unsubscribed from email"
	TextEmailNotOffered = "Email is not offered: %s."
)
