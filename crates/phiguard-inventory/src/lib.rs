//! The platform inventory schema shared by phiguard scan and phiguard assess.
