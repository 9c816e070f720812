// Package chatops is what people type to cxloop in any chat platform: the
// command table behind /cx (Slack) and @cxloop (Teams), the commands'
// neutral answers, and the sentences every platform uses to report a case's
// or an improvement item's outcome. The platforms' packages parse their own
// envelopes and render these answers; nothing here knows Slack or Teams.
package chatops
