import { create } from 'zustand';
import { persist } from 'zustand/middleware';

interface IntakeState {
  dob: string | null;
  conditions: string[];
  setDob: (dob: string) => void;
}

// The intake answers are persisted to localStorage.
export const useIntake = create<IntakeState>()(
  persist( // expect: PHI-STORAGE-002
    (set) => ({
      dob: null,
      conditions: [],
      setDob: (dob: string) => set({ dob }),
    }),
    { name: 'intake' },
  ),
);

// A cart store holds no PHI.
export const useCart = create<CartState>()(
  persist(
    (set) => ({ items: [], add: (item: Item) => set((s) => ({ items: [...s.items, item] })) }),
    { name: 'cart' },
  ),
);

// The patient is in state, but partialize persists only the cart token.
export const usePatient = create<PatientState>()(
  persist(
    (set) => ({ patient: null, cartToken: '' }),
    { name: 'p', partialize: (state: PatientState) => ({ cartToken: state.cartToken }) },
  ),
);

export function logDob(state: IntakeState): void {
  console.log(state.dob as string); // expect: PHI-LOG-001
}
