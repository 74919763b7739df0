// The OpenID provider the end-to-end test signs in with: the in-memory example provider of
// github.com/zitadel/oidc (its login page, users file and clients), with one addition made the way the
// library supports: a Storage that adds a "groups" claim to the ID token and the userinfo answer, from a
// file mapping user ids to group names. The example's own users carry no groups.
//
// Environment: PORT, ISSUER (e.g. http://127.0.0.1:27101/), USERS_FILE (the example's format),
// GROUPS_FILE ({"<user id>": ["group", ...]}), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI (comma-separated).
// Listens on 127.0.0.1 only.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

type groupsStorage struct {
	*storage.Storage
	groups map[string][]string
}

func (s *groupsStorage) addGroups(info *oidc.UserInfo, userID string) {
	if g, ok := s.groups[userID]; ok {
		info.AppendClaims("groups", g)
	}
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *groupsStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, token, scopes); err != nil {
		return err
	}
	s.addGroups(info, token.GetSubject())
	return nil
}

// SetUserinfoFromToken fills the userinfo endpoint's answer.
func (s *groupsStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.addGroups(info, subject)
	return nil
}

func must(err error) {
	if err != nil {
		slog.Error("oidc test provider", "error", err)
		os.Exit(1)
	}
}

func main() {
	users, err := storage.StoreFromFile(os.Getenv("USERS_FILE"))
	must(err)
	groups := map[string][]string{}
	data, err := os.ReadFile(os.Getenv("GROUPS_FILE"))
	must(err)
	must(json.Unmarshal(data, &groups))
	storage.RegisterClients(storage.WebClient(os.Getenv("CLIENT_ID"), os.Getenv("CLIENT_SECRET"), strings.Split(os.Getenv("REDIRECT_URI"), ",")...))
	store := &groupsStorage{Storage: storage.NewStorage(users), groups: groups}
	router := exampleop.SetupServer(os.Getenv("ISSUER"), store, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})), false)
	server := &http.Server{Addr: "127.0.0.1:" + os.Getenv("PORT"), Handler: router}
	slog.Info("listening", "issuer", os.Getenv("ISSUER"))
	must(server.ListenAndServe())
}
