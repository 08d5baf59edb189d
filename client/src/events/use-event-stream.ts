import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useReducer, useRef } from 'react';
import { eventReducer, initialEventState, type EventState } from './event-reducer';
import { openEventStream } from './sse-reader';

/**
 * Opens the signed-in user's event stream, folds it through {@link eventReducer} and refetches
 * the queries it made stale: the server lists on access/server changes, tools on `tools.changed`,
 * everything on `reset`.
 */
export function useEventStream(token: string, userId: string): EventState {
  const [state, dispatch] = useReducer(
    (current: EventState, action: Parameters<typeof eventReducer>[1]) => eventReducer(current, action, userId),
    undefined,
    initialEventState,
  );
  const lastId = useRef<string | undefined>(undefined);
  lastId.current = state.lastEventId;
  const queryClient = useQueryClient();

  useEffect(() => {
    return openEventStream({
      url: '/api/events',
      token,
      lastEventId: () => lastId.current,
      onOpen: () => dispatch({ type: 'opened', at: Date.now() }),
      onDrop: () => dispatch({ type: 'dropped' }),
      onMessage: (message) => {
        // Keep the ref in step at once: a reconnect may happen before React re-renders.
        if (message.id !== undefined) lastId.current = message.id;
        dispatch({ type: 'message', id: message.id, event: message.event, data: message.data });
      },
    });
  }, [token]);

  useEffect(() => {
    if (state.serversGeneration === 0) return;
    void queryClient.invalidateQueries({ queryKey: ['servers'] });
    void queryClient.invalidateQueries({ queryKey: ['admin'] });
  }, [state.serversGeneration, queryClient]);

  useEffect(() => {
    if (state.resets === 0) return;
    void queryClient.invalidateQueries();
  }, [state.resets, queryClient]);

  useEffect(() => {
    for (const name of Object.keys(state.toolsGeneration)) {
      void queryClient.invalidateQueries({ queryKey: ['tools', name] });
    }
  }, [state.toolsGeneration, queryClient]);

  return state;
}
