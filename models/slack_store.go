package models

import (
	"context"
	"fmt"
)

// CardRefsOf returns where a case's card was posted on one transport, in
// every channel it went to, oldest post first.
func (s *Store) CardRefsOf(ctx context.Context, caseID int64, transport string) ([]CardRef, error) {
	var refs []CardRef
	err := s.db.WithContext(ctx).Where("case_id = ? AND transport = ?", caseID, transport).Order("posted_at, channel").Find(&refs).Error
	if err != nil {
		return nil, fmt.Errorf("cards of case %d: %w", caseID, err)
	}
	return refs, nil
}

// LatestPlatformUserByID finds the email behind a platform's user id; when
// the person's email changed, the most recently checked entry wins.
func (s *Store) LatestPlatformUserByID(ctx context.Context, platform, userID string) (PlatformUser, error) {
	var u PlatformUser
	err := s.db.WithContext(ctx).Where("platform = ? AND user_id = ?", platform, userID).Order("checked_at DESC").Take(&u).Error
	if err != nil {
		return u, notFound(err, "platform user "+userID)
	}
	return u, nil
}
