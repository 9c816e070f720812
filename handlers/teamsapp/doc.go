// Package teamsapp is cxloop's Microsoft Teams bot: POST /api/messages for
// Bot Framework activities, served by Bot. Commands go through chatops;
// posting goes through bot/teams.
package teamsapp
