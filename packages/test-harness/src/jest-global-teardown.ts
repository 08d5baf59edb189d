import { globalTeardownState, harnessState } from './jest-global-setup';

export default async function globalTeardown(): Promise<void> {
  await globalTeardownState(harnessState());
}
