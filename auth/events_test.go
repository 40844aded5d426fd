package auth

import (
	"fmt"
	"testing"
	"time"
)

// A subscriber that is busy while many statuses are published still receives the newest one
// last, and keeps the non-status events that came before it.
func TestEventBusKeepsNewestStatus(t *testing.T) {
	var b eventBus
	ch, stop := b.subscribe(1)
	defer stop()
	for i := 0; i < 500; i++ {
		st := Status{State: StateOK}
		st.Refresh.Count = i
		kind := EventStatus
		if i == 250 {
			kind = EventRotated
		}
		b.publish(Event{Kind: kind, Message: fmt.Sprint(i), Status: &st})
	}
	var got []Event
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			got = append(got, ev)
			if ev.Status.Refresh.Count == 499 {
				sawRotation := false
				for _, g := range got {
					sawRotation = sawRotation || g.Kind == EventRotated
				}
				if !sawRotation {
					t.Errorf("the rotation between the statuses was lost: %d events received", len(got))
				}
				if len(got) > 10 {
					t.Errorf("received %d events; waiting statuses should have been coalesced", len(got))
				}
				return
			}
		case <-timeout:
			t.Fatalf("the newest status never arrived; received %d events, last %+v", len(got), got[len(got)-1].Message)
		}
	}
}

// Unsubscribing closes the channel even while events wait, and later publishes are harmless.
func TestEventBusUnsubscribe(t *testing.T) {
	var b eventBus
	ch, stop := b.subscribe(0)
	b.publish(Event{Kind: EventStatus})
	stop()
	stop()
	b.publish(Event{Kind: EventStatus})
	for range ch {
	}
}
