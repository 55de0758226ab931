package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// pagedOutput is the output of api --paginate: the records of every page's
// data array, in order, and how many records and pages there were.
type pagedOutput struct {
	Data []json.RawMessage `json:"data"`
	Info pagedInfo         `json:"info"`
}

// pagedInfo is the info of api --paginate's output.
type pagedInfo struct {
	Count       int  `json:"count"`        // records in data
	Pages       int  `json:"pages"`        // requests made
	MoreRecords bool `json:"more_records"` // always false: every page was read
}

// crmPage is what api --paginate reads of one answer of the CRM.
type crmPage struct {
	Data []json.RawMessage `json:"data"`
	Info *struct {
		MoreRecords   bool    `json:"more_records"`
		NextPageToken *string `json:"next_page_token"`
		Page          int     `json:"page"`
	} `json:"info"`
}

// maxPageBody bounds one page's answer.
const maxPageBody = 64 << 20

// paginate GETs target and the pages after it while the answer's
// info.more_records is true: with page_token set to info.next_page_token
// when the answer has one, else with page set to info.page + 1. It writes
// one JSON object, {"data": [every record], "info": {"count", "pages",
// "more_records": false}}. An answer that is not a list (no data array)
// on the first page is written as it is; an error status stops the walk
// and its body is written instead.
func (a *app) paginate(ctx context.Context, client *http.Client, o *apiOptions, target string, headers http.Header) error {
	u, err := url.Parse(target)
	if err != nil {
		return usageErrorf("api: %v", err)
	}
	out := pagedOutput{Data: []json.RawMessage{}}
	seen := map[string]bool{}
	for {
		next := u.String()
		if seen[next] {
			return fmt.Errorf("api --paginate: the CRM pointed back to a page already read (%s)", printable(next))
		}
		seen[next] = true
		resp, cancel, err := a.send(ctx, client, o.timeout, http.MethodGet, next, headers, nil)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBody+1))
		resp.Body.Close()
		cancel()
		if err != nil {
			return fmt.Errorf("reading page %d: %w", out.Info.Pages+1, err)
		}
		if len(b) > maxPageBody {
			return fmt.Errorf("page %d is larger than %d MiB", out.Info.Pages+1, maxPageBody>>20)
		}
		out.Info.Pages++
		if resp.StatusCode >= 400 {
			if err := a.writeBody(bytes.NewReader(b), false); err != nil {
				return err
			}
			return &hintError{err: &httpStatusError{status: resp.Status},
				hint: fmt.Sprintf("(page %d; the %d records of the pages before it are not printed)", out.Info.Pages, len(out.Data))}
		}
		if resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(b)) == 0 {
			break // the CRM's answer when there are no records
		}
		var page crmPage
		if err := json.Unmarshal(b, &page); err != nil || page.Data == nil {
			if out.Info.Pages == 1 {
				return a.writeBody(bytes.NewReader(b), false)
			}
			return fmt.Errorf("api --paginate: page %d is not a list of records (no data array)", out.Info.Pages)
		}
		out.Data = append(out.Data, page.Data...)
		if page.Info == nil || !page.Info.MoreRecords {
			break
		}
		q := u.Query()
		if tok := page.Info.NextPageToken; tok != nil && *tok != "" {
			q.Set("page_token", *tok)
			q.Del("page")
		} else {
			n := page.Info.Page
			if n < 1 {
				n, _ = strconv.Atoi(q.Get("page"))
				n = max(n, 1)
			}
			q.Set("page", strconv.Itoa(n+1))
			q.Del("page_token")
		}
		u.RawQuery = q.Encode()
	}
	out.Info.Count = len(out.Data)
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return a.writeBody(bytes.NewReader(b), false)
}
