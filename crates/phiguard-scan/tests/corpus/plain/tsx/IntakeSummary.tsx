import React, { useEffect } from 'react';
import ReactGA from 'react-ga4';
import { identify as fsIdentify } from '@fullstory/browser';

type Props = { patient: Patient; cartToken: string };

export function IntakeSummary({ patient, cartToken }: Props) {
  useEffect(() => {
    ReactGA.event({ category: 'intake', label: cartToken });
    ReactGA.set({ userDob: patient.birthDate }); // expect: PHI-TRACKER-001
    fsIdentify(patient.id, { displayName: patient.name }); // expect: PHI-TRACKER-001
  }, [patient, cartToken]);

  return <div className="summary">{patient.name}</div>;
}
