// Package slackapp is cxloop's Slack app: POST /slack/events for Events API
// callbacks, slash commands and interactivity, and Socket Mode, both served
// by App. Commands go through chatops; posting goes through bot/slack.
package slackapp
