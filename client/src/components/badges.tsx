import { Badge } from '@mantine/core';
import type { Tier } from '../api/types';

// Shades with white text at WCAG AA contrast (≥ 4.5:1).
const TIER_COLOR: Record<Tier, string> = { app: 'grape.8', shared: 'blue.8', private: 'teal.9' };
const STATE_COLOR: Record<string, string> = {
  connected: 'green',
  connecting: 'yellow',
  reconnecting: 'orange',
  error: 'red',
  closed: 'gray',
  idle: 'gray',
};

export function TierBadge({ tier }: { tier: Tier }) {
  return (
    <Badge color={TIER_COLOR[tier]} variant="filled" data-testid="tier">
      {tier}
    </Badge>
  );
}

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={STATE_COLOR[state] ?? 'gray'} variant="dot" data-testid="connection">
      {state}
    </Badge>
  );
}
